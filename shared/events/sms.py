"""Events on mtm.sms.*: raw Twilio webhooks after the gateway checked their signature.

An inbound text's `From` and `To` are what Twilio posts: a phone number in E.164 form, that
number behind a channel prefix (`whatsapp:+15125550143`), a short code (5 or 6 digits) or an
alphanumeric sender id (up to 11 letters, digits and spaces, at least one letter). Anything
else is refused. `sms_phone()` is the phone number behind an address (the same person texting
by SMS or by WhatsApp is one contact); `is_phone()` says whether an address can be answered.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from shared.events.base import Event, UtcDatetime, _e164, phi, phone_key

CHANNEL_PREFIXES = ("whatsapp:",)
"""Channel prefixes Twilio puts before a phone number (the number behind it is E.164)."""
_SHORT_CODE = re.compile(r"^[0-9]{5,6}$")
# Twilio: up to 11 characters, A-Z, a-z, 0-9 and space, at least one letter.
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def sms_phone(address: str) -> str:
    """The address without its channel prefix: `whatsapp:+15125550143` -> `+15125550143`."""
    for prefix in CHANNEL_PREFIXES:
        if address.startswith(prefix):
            return address[len(prefix) :]
    return address


def is_short_code(address: str) -> bool:
    return bool(_SHORT_CODE.match(address))


def is_phone(address: str) -> bool:
    """The address is (or hides) a phone number we can text; short codes and sender ids are
    one-way: nobody reads what we would send them."""
    return sms_phone(address).startswith("+")


def _address(value: str) -> str:
    if is_short_code(value) or (_SENDER_ID.match(value) and not value.startswith(" ")):
        return value
    phone = sms_phone(value)
    try:
        _e164(phone)
    except ValueError:
        raise ValueError(
            "not a phone number in E.164 form (optionally after whatsapp:), a short code "
            "(5-6 digits) or an alphanumeric sender id (up to 11 letters, digits, spaces)"
        ) from None
    return value


def _phone_or_short_code(value: str) -> str:
    if is_short_code(value):
        return value
    try:
        return _e164(value)
    except ValueError:
        raise ValueError("not a phone number in E.164 form or a short code (5-6 digits)") from None


SmsAddress = Annotated[str, AfterValidator(_address)]
"""Where an inbound text came from or went to, as Twilio posts it."""
PhoneOrShortCode = Annotated[str, AfterValidator(_phone_or_short_code)]
"""One of our numbers: a phone number in E.164 form, or a short code."""


class InboundSmsReceived(Event):
    """A text a patient or clinician sent us."""

    event_type: Literal["InboundSmsReceived"] = "InboundSmsReceived"
    message_sid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    from_phone: SmsAddress = phi(
        "Sender: E.164, whatsapp:+E.164, a short code or an alphanumeric sender id."
    )
    to_phone: SmsAddress = phi("Our number it was sent to: E.164, whatsapp:+E.164 or a short code.")
    body: str = phi("The text as received (empty for a picture without words).", max_length=1600)
    received_at: UtcDatetime
    num_media: int = Field(default=0, ge=0, le=10)
    opt_out_type: Literal["STOP", "START", "HELP"] | None = Field(
        default=None,
        description="Twilio's OptOutType (Advanced Opt-Out): Twilio matched an opt-out, opt-in "
        "or help keyword of the account, answered it and (STOP) blocks the number.",
    )

    @property
    def sender(self) -> str:
        """The sender's number without a channel prefix: one person, one contact."""
        return sms_phone(self.from_phone)

    @property
    def media_only(self) -> bool:
        """A picture (or other media) without a word of text."""
        return self.num_media > 0 and not self.body.strip()

    def kafka_key(self) -> bytes:
        return phone_key(self.sender).encode()


class SmsStatusReceived(Event):
    """A delivery status callback for one of our messages."""

    event_type: Literal["SmsStatusReceived"] = "SmsStatusReceived"
    message_sid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    status: str = Field(
        pattern=r"^[a-z_]{2,32}$",
        description="Twilio MessageStatus (queued, sent, delivered, undelivered, failed, ...); "
        "open-ended because Twilio adds statuses without notice.",
    )
    error_code: int | None = None
    received_at: UtcDatetime

    def kafka_key(self) -> bytes:
        return self.message_sid.encode()
