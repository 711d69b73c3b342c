"""Structured JSON logs that carry event ids and never carry PHI.

Every line has `event_id` and `correlation_id` when a message is being handled (set by the broker
middleware through context variables). Phone numbers are redacted from every message and field;
fields named like PHI (name, body, phone, drug, free text...) are replaced wholesale.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"

# A structured field whose name matches is replaced wholesale: phone, from_phone, display_name,
# patient_name, body, drug, free_text, date_of_birth, to, from ...
_PHI_KEY = re.compile(r"phone|name|body|drug|free_text|birth|address|email|^to$|^from_?$|^text$")

# E.164 and the usual North American spellings:
# +15125550100, (512) 555-0100, 512-555-0100, 512.555.0100.
_PHONE = re.compile(
    r"(?<![\w/-])(?:\+\d{8,15}|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\b1?\d{10}\b)(?![\w/-])"
)

log_event_id: ContextVar[str | None] = ContextVar("log_event_id", default=None)
log_correlation_id: ContextVar[str | None] = ContextVar("log_correlation_id", default=None)

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName"}


def redact_text(text: str) -> str:
    """Replace anything that looks like a phone number."""
    return _PHONE.sub(REDACTED, text)


def redact_value(key: str, value: Any) -> Any:
    """Redact a structured field: PHI keys wholesale, phone numbers inside strings, recursively."""
    if _PHI_KEY.search(key.lower()):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


@contextmanager
def log_context(*, event_id: str | None, correlation_id: str | None) -> Iterator[None]:
    """Attach ids to every log line emitted inside the block."""
    t1 = log_event_id.set(event_id)
    t2 = log_correlation_id.set(correlation_id)
    try:
        yield
    finally:
        log_event_id.reset(t1)
        log_correlation_id.reset(t2)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra=` fields become keys; PHI redacted unless told not to."""

    def __init__(self, *, redact: bool = True) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": message,
        }
        if (event_id := log_event_id.get()) is not None:
            line["event_id"] = event_id
        if (correlation_id := log_correlation_id.get()) is not None:
            line["correlation_id"] = correlation_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error_class"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        if self.redact:
            line = {
                k: (v if k in ("ts", "level", "logger") else redact_value(k, v))
                for k, v in line.items()
            }
        return json.dumps(line, default=str, ensure_ascii=False)


class RedactingTextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, still redacted."""

    def __init__(self, *, redact: bool = True) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = [f"{k}={v}" for k, v in (("event_id", log_event_id.get()),) if v]
        text = " ".join([text, *ids])
        return redact_text(text) if self.redact else text


def configure_logging(
    *, level: str = "INFO", json_format: bool = True, redact: bool = True, stream: Any = None
) -> None:
    """Install one handler on the root logger (idempotent)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(redact=redact) if json_format else RedactingTextFormatter(redact=redact)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_mtm", False):
            root.removeHandler(old)
    handler._mtm = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # aiokafka and faststream log message payloads at DEBUG; keep them at INFO or above.
    for noisy in ("aiokafka", "faststream"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    # The twilio SDK logs request URLs and query strings (To=+1...) at INFO.
    logging.getLogger("twilio").setLevel(logging.WARNING)


SECURITY_LOGGER = "mtm.security"
"""Where authorisation refusals go: one logger to alert on, whichever service refused."""

# What may stand in a security event: short plain identifiers (ids, codes, SIDs, reasons).
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:#-]{1,128}$")


def _safe_id(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    text = str(value)
    return text if _SAFE_ID.match(text) and not _PHONE.search(text) else REDACTED


def security_event(kind: str, *, service: str, **ids: Any) -> None:
    """Log a refused or suspicious action (`security event`, WARNING): its kind and ids only.

    A value that is not a short plain identifier (a phone number, free text) is replaced, so a
    caller cannot leak PHI through this line even by mistake."""
    fields = {f"sec_{k}" if k in _STANDARD else k: _safe_id(v) for k, v in ids.items()}
    logging.getLogger(SECURITY_LOGGER).warning(
        "security event", extra={**fields, "kind": kind, "service": service, "security": True}
    )
