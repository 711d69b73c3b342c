"""A preview of a dead letter that never shows PHI: what an operator may see on a terminal.

Fields come out only when the event's model declares them and does not mark them `x-phi`;
nested models follow their own declarations; every string goes through the log redaction and is
cut short. Undeclared fields are counted, never shown (their names could be anything). Bytes that
are not a JSON object are described by size only.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from shared.events import EVENT_TYPES, Event
from shared.logging import REDACTED, redact_text, redact_value

MAX_TEXT = 80
MAX_ITEMS = 5
MAX_DEPTH = 4
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")


def safe_key(key: bytes | None) -> str | None:
    """The record key if it is a plain id (patient id, SID, hash), else only its size."""
    if key is None:
        return None
    text = key.decode("utf-8", "replace")
    if _SAFE_KEY.match(text) and redact_text(text) == text:
        return text
    return f"<{len(key)} bytes>"


def safe_headers(headers: Mapping[str, str], *, keep: tuple[str, ...]) -> dict[str, str]:
    """Our own dead-letter headers as they are (they name fields, never values); the original
    record's headers redacted like log fields and cut short."""
    return {k: v if k in keep else _clip(redact_value(k, v), 0) for k, v in headers.items()}


def preview(value: bytes) -> Any:
    """A redacted view of a record's body."""
    try:
        data = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError:
        return f"<{len(value)} bytes, not UTF-8>"
    except (ValueError, RecursionError):
        return f"<{len(value)} bytes, not JSON>"
    if not isinstance(data, dict):
        return f"<{len(value)} bytes, JSON {type(data).__name__}>"
    event_type = data.get("event_type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    return _object(model or Event, data, 0)


def _is_phi(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("x-phi"))


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (directly, in a list, or optional), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def _object(model: type[BaseModel], data: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    fields = model.model_fields
    out: dict[str, Any] = {}
    undeclared = 0
    for key, value in data.items():
        info = fields.get(key) if isinstance(key, str) else None
        if info is None:
            undeclared += 1
        elif _is_phi(info):
            out[key] = REDACTED
        elif (sub := _submodel(info.annotation)) is not None and depth < MAX_DEPTH:
            out[key] = _nested(sub, value, depth + 1)
        else:
            out[key] = _clip(redact_value(key, value), depth + 1)
    if undeclared:
        out["undeclared_fields"] = undeclared
    return out


def _nested(model: type[BaseModel], value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        return _object(model, value, depth)
    if isinstance(value, list):
        items = [_nested(model, v, depth) for v in value[:MAX_ITEMS]]
        return items + ([f"... {len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else [])
    return _clip(value, depth)


def _clip(value: Any, depth: int) -> Any:
    """Short strings, short lists, shallow dicts (already redacted by key)."""
    if isinstance(value, str):
        text = redact_text(value)
        return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}... ({len(text)} chars)"
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, list):
        items = [_clip(v, depth + 1) for v in value[:MAX_ITEMS]]
        return items + ([f"... {len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else [])
    if isinstance(value, dict):
        shown = list(value.items())[:MAX_ITEMS]
        out = {str(k)[:MAX_TEXT]: _clip(redact_value(str(k), v), depth + 1) for k, v in shown}
        if len(value) > MAX_ITEMS:
            out["..."] = f"{len(value) - MAX_ITEMS} more"
        return out
    return value
