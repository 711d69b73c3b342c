"""Events on mtm.notify.*: what services ask the dispatcher to send, and what became of it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Event, Id, Model, UtcDatetime, Uuid

Category = Literal[
    "dose_reminder",
    "dose_followup",
    "refill_reminder",
    "caregiver_missed_dose",
    "appointment_booked",
    "appointment_reminder",
    "appointment_cancelled",
    "appointment_rebook",
    "checkin_item",
    "crisis_resources",
    "clinic_callback",
    "clinician_page",
    "clinician_notice",
    "digest",
    "opt_out_confirmation",
    "opt_out_clarify",
    "opt_in_confirmation",
    "help",
    "media_unreadable",
]
Priority = Literal["urgent", "routine"]
RecipientKind = Literal["patient", "clinician", "caregiver"]


class Recipient(Model):
    """Who gets the message; the dispatcher resolves the phone from its directory."""

    kind: RecipientKind
    id: Id


class ReplyContext(Model):
    """What a reply to this message means: the dispatcher reads the next reply in this light."""

    kind: Literal["dose", "appointment", "page", "checkin", "none"] = "none"
    ref: str = Field(
        default="", max_length=256, description="Dose id, appointment id, alert code..."
    )
    extra: dict[str, str] = Field(default_factory=dict)


class NotificationRequested(Event):
    """A request to send one SMS."""

    event_type: Literal["NotificationRequested"] = "NotificationRequested"
    notification_id: Uuid = Field(description="Idempotency key of the send.")
    recipient: Recipient
    template_id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,48}$")
    variables: dict[str, str] = Field(
        default_factory=dict, description="Template variables, no PHI."
    )
    category: Category
    priority: Priority = "routine"
    not_before: UtcDatetime | None = Field(default=None, description="Do not send earlier.")
    expires_at: UtcDatetime | None = Field(default=None, description="Suppress as expired after.")
    dedup_key: str = Field(max_length=256, description="Business key; one send per key.")
    patient_chosen_time: bool = Field(
        default=False,
        description="The patient chose this time (dose time): exempt from quiet hours.",
    )
    reply_context: ReplyContext = Field(default_factory=ReplyContext)


SuppressReason = Literal[
    "opted_out",
    "quiet_hours_deferred",
    "cap_reached",
    "expired",
    "invalid_number",
    "duplicate",
    "unknown_recipient",
]


class NotificationSent(Event):
    """Twilio accepted the message."""

    event_type: Literal["NotificationSent"] = "NotificationSent"
    notification_id: Uuid
    message_sid: str = Field(max_length=64)
    recipient: Recipient
    category: Category
    segments: int = Field(default=1, ge=1)


class NotificationDelivered(Event):
    """The carrier reported delivery."""

    event_type: Literal["NotificationDelivered"] = "NotificationDelivered"
    notification_id: Uuid
    message_sid: str = Field(max_length=64)
    recipient: Recipient
    category: Category


class NotificationFailed(Event):
    """Twilio refused the message or the carrier could not deliver it."""

    event_type: Literal["NotificationFailed"] = "NotificationFailed"
    notification_id: Uuid
    message_sid: str | None = Field(default=None, max_length=64)
    recipient: Recipient
    category: Category
    error_code: int | None = None
    permanent: bool = True
    stage: Literal["send", "delivery"] = "send"


class NotificationSuppressed(Event):
    """The dispatcher did not send (or not yet): the reason says why."""

    event_type: Literal["NotificationSuppressed"] = "NotificationSuppressed"
    notification_id: Uuid
    recipient: Recipient
    category: Category
    reason: SuppressReason
    deferred_until: UtcDatetime | None = Field(default=None, description="Set when deferred.")
