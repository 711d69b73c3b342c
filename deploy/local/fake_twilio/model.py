"""The message record and the pure rules of the fake: validation, segments, Twilio JSON."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"
MAX_BODY_CHARS = 1600
E164 = re.compile(r"^(?:whatsapp:)?\+[1-9]\d{1,14}$")

# Sender a Messaging Service "picks" when the request named no From.
POOL_SENDER = "+15005550006"

ERROR_MESSAGES = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "Invalid 'To' Phone Number",
    21408: "Permission to send an SMS has not been enabled for the region of the 'To' number",
    21602: "Message body is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone "
    "number for this destination/account",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21609: "Invalid StatusCallback url",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}

# Twilio's test-credential magic numbers, mirrored for every account of the fake.
MAGIC_TO = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


class TwilioError(Exception):
    """A Twilio error code with the HTTP status it travels with."""

    def __init__(self, code: int, status: int = 400, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.message = message or ERROR_MESSAGES.get(code, "Error")

    def body(self) -> dict[str, object]:
        """The legacy error body, which the SDK turns into TwilioRestException."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def sync_error(code: int) -> TwilioError:
    """An error on create, with the HTTP status Twilio uses for that code."""
    return TwilioError(code, 429 if code == 20429 else 400)


@dataclass
class Message:
    """One accepted outbound message and where it is in its life."""

    seq: int
    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    status_callback: str | None
    num_media: int
    created: datetime
    updated: datetime
    sent: datetime | None = None
    error_code: int | None = None
    # The ErrorCode this message will end with (None: it will be delivered).
    outcome: int | None = field(default=None, repr=False)


def new_sid() -> str:
    """A message sid: "SM" and 32 hex digits."""
    return "SM" + uuid.uuid4().hex


def validate(form: dict[str, str]) -> None:
    """Raise the TwilioError real Twilio answers for a malformed create request."""
    to = form.get("To", "")
    if not to:
        raise sync_error(21604)
    if not E164.match(to):
        raise sync_error(21211)
    if not form.get("From") and not form.get("MessagingServiceSid"):
        raise sync_error(21603)
    if not form.get("Body") and not form.get("MediaUrl") and not form.get("ContentSid"):
        raise sync_error(21602)
    if len(form.get("Body", "")) > MAX_BODY_CHARS:
        raise sync_error(21617)
    callback = form.get("StatusCallback")
    if callback and not callback.startswith(("http://", "https://")):
        raise sync_error(21609)


def num_segments(body: str) -> int:
    """How many SMS segments the body takes (GSM-7 when it fits, else UCS-2)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in body):
        units = len(body) + sum(c in GSM_EXTENDED for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format: "Thu, 24 Aug 2023 05:01:45 +0000"."""
    return format_datetime(moment.astimezone(UTC)) if moment else None


def message_uri(account_sid: str, sid: str) -> str:
    """The resource path of one message."""
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"


def to_api(m: Message) -> dict[str, object]:
    """The Message resource as the REST API returns it."""
    uri = message_uri(m.account_sid, m.sid)
    return {
        "account_sid": m.account_sid,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.created),
        "date_sent": rfc2822(m.sent),
        "date_updated": rfc2822(m.updated),
        "direction": "outbound-api",
        "error_code": m.error_code,
        "error_message": ERROR_MESSAGES.get(m.error_code) if m.error_code else None,
        "from": m.from_,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": str(m.num_media),
        "num_segments": str(num_segments(m.body)),
        "price": None,
        "price_unit": "USD",
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
        "to": m.to,
        "uri": uri,
    }


def to_inspection(m: Message) -> dict[str, object]:
    """The message as /_fake/messages and FakeTwilio.messages show it."""
    return {
        "sid": m.sid,
        "to": m.to,
        "from": m.from_,
        "messaging_service_sid": m.messaging_service_sid,
        "body": m.body,
        "status": m.status,
        "error_code": m.error_code,
        "status_callback": m.status_callback,
        "accepted_at": m.created.isoformat(),
    }


def callback_params(m: Message) -> dict[str, str]:
    """The form fields of a status callback for the message's current status."""
    params = {
        "AccountSid": m.account_sid,
        "ApiVersion": API_VERSION,
        "From": m.from_ or "",
        "MessageSid": m.sid,
        "MessageStatus": m.status,
        "SmsSid": m.sid,
        "SmsStatus": m.status,
        "To": m.to,
    }
    if m.messaging_service_sid:
        params["MessagingServiceSid"] = m.messaging_service_sid
    if m.error_code:
        params["ErrorCode"] = str(m.error_code)
    if m.status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = m.updated.astimezone(UTC).strftime("%y%m%d%H%M")
    return params
