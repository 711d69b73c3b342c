"""Pure rules of the gateway: the URL Twilio signed, webhook fields to events, dedupe keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import ValidationError
from twilio.request_validator import get_signature_algorithm

from services.gateway.forms import BadRequest
from shared.events import Event, InboundSmsReceived, SmsStatusReceived
from shared.ids import IdSpace

SOURCE = "gateway"
INBOUND_REQUIRED = ("MessageSid", "From", "To", "Body")
INBOUND_OPTIONAL = ("NumMedia", "OptOutType")
# Advanced Opt-Out tells which keyword Twilio matched (and already answered).
OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})
STATUS_REQUIRED = ("MessageSid", "MessageStatus")
STATUS_OPTIONAL = ("ErrorCode",)

# Event field -> the Twilio form field it comes from, so that reasons name what the caller sent.
FORM_NAMES = {
    "message_sid": "MessageSid",
    "from_phone": "From",
    "to_phone": "To",
    "body": "Body",
    "num_media": "NumMedia",
    "opt_out_type": "OptOutType",
    "status": "MessageStatus",
    "error_code": "ErrorCode",
}

# Fixed namespace: a Twilio retry of the same webhook yields the same event_id, so even a record
# published twice (a publish that timed out, then landed) is recognisably one event downstream.
EVENT_IDS = IdSpace(UUID("5b0f3c9e-6f1e-4c55-9d64-0c2f4b1de9a7"), source=SOURCE)


def public_url(base: str, path: str, query: str) -> str:
    """The URL Twilio called: the configured public base, then path and query as received."""
    return base.rstrip("/") + path + (f"?{query}" if query else "")


_QUOTE_ENCODED = re.compile("%27", re.IGNORECASE)


def signed_url_candidates(url: str) -> list[str]:
    """The URLs Twilio may have signed for a request that arrived at `url`: Twilio signs the URL
    as configured, with an apostrophe as it was typed there (' or %27), while the request line
    may carry the other form (a client or proxy that percent-encodes it, or decodes it). Only
    the apostrophe differs; every other byte stays as received."""
    candidates = [url]
    for variant in (_QUOTE_ENCODED.sub("'", url), url.replace("'", "%27")):
        if variant not in candidates:
            candidates.append(variant)
    return candidates


def signature_settings(header: str | None) -> tuple[str | None, str]:
    """`X-Twilio-Webhooks-Signature-Settings` read as (shared key id, algorithm): no header (or
    no key) means the account's auth token; no algorithm means HMAC_SHA1 (the legacy one)."""
    key_id = None
    for part in (header or "").split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "key" and value.strip():
            key_id = value.strip()
    return key_id, get_signature_algorithm(header)


def _integer(fields: Mapping[str, str], name: str) -> int | None:
    value = fields.get(name, "")
    if value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise BadRequest(f"{name}: not a non-negative integer")
    return int(value)


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        name = FORM_NAMES.get(str(err["loc"][0]) if err["loc"] else "", "form")
        parts.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def _opt_out_type(fields: Mapping[str, str]) -> Literal["STOP", "START", "HELP"] | None:
    """OptOutType as sent; a value Twilio may add later is kept out, not refused."""
    value = fields.get("OptOutType", "").strip().upper()
    return value if value in OPT_OUT_TYPES else None  # type: ignore[return-value]


def inbound_event(fields: Mapping[str, str], *, received_at: datetime) -> InboundSmsReceived:
    """An inbound SMS webhook's fields as the event the dispatcher reads."""
    sid = fields["MessageSid"]
    try:
        return InboundSmsReceived(
            event_id=EVENT_IDS.id("inbound", sid),
            source=SOURCE,
            correlation_id=sid,
            message_sid=sid,
            from_phone=fields["From"],
            to_phone=fields["To"],
            body=fields["Body"],
            num_media=_integer(fields, "NumMedia") or 0,
            opt_out_type=_opt_out_type(fields),
            received_at=received_at,
        )
    except ValidationError as exc:
        raise BadRequest(_reason(exc)) from None


def status_event(fields: Mapping[str, str], *, received_at: datetime) -> SmsStatusReceived:
    """A status callback's fields as the event the dispatcher matches to its notification."""
    sid, status = fields["MessageSid"], fields["MessageStatus"]
    try:
        return SmsStatusReceived(
            event_id=EVENT_IDS.id("status", sid, status),
            source=SOURCE,
            correlation_id=sid,
            message_sid=sid,
            status=status,
            error_code=_integer(fields, "ErrorCode"),
            received_at=received_at,
        )
    except ValidationError as exc:
        raise BadRequest(_reason(exc)) from None


def dedupe_name(event: Event) -> str:
    """What makes two webhooks the same: the SID (inbound), the SID and the status (callbacks)."""
    if isinstance(event, InboundSmsReceived):
        return f"inbound:{event.message_sid}"
    if isinstance(event, SmsStatusReceived):
        return f"status:{event.message_sid}:{event.status}"
    raise TypeError(type(event).__name__)
