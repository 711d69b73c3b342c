"""Events on mtm.sms.*: raw Twilio webhooks after the gateway checked their signature."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Event, Phone, UtcDatetime, phi, phone_key


class InboundSmsReceived(Event):
    """A text a patient or clinician sent us."""

    event_type: Literal["InboundSmsReceived"] = "InboundSmsReceived"
    message_sid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    from_phone: Phone = phi("Sender, E.164.")
    to_phone: Phone = phi("Our number it was sent to, E.164.")
    body: str = phi("The text as received.", max_length=1600)
    received_at: UtcDatetime
    num_media: int = Field(default=0, ge=0, le=10)

    def kafka_key(self) -> bytes:
        return phone_key(self.from_phone).encode()


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
