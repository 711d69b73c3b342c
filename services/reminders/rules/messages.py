"""The NotificationRequested of each text: template ids, PHI-free variables, deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.reminders.rules.model import Appointment, PlannedStep, Policy
from shared.events import NotificationRequested, Recipient, ReplyContext
from shared.events.notify import Category
from shared.ids import IdSpace

IDS = IdSpace(UUID("5b0c8f0e-2f4a-4b8e-9a51-7d3e6c1f0a42"), source="reminders")
"""The ids of reminder requests (uuid5 of the dedup key): a re-fire after a crash repeats them."""


def dedup_key(appt: Appointment, what: str) -> str:
    """One send per appointment, slot revision and text ("appt:ap-1:0:20260310T1930Z:d3")."""
    start = appt.start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"appt:{appt.appointment_id}:{appt.revision}:{start}:{what}"


def notification_id(key: str) -> UUID:
    """The notification id of a dedup key (the dispatcher dedupes on both)."""
    return IDS.id(key)


def variables(appt: Appointment) -> dict[str, str]:
    """What every appointment text is rendered from. The dispatcher's templates turn `start` into
    "Tue 3/10 at 1:30 PM MT" in the patient's own zone and language (it holds both)."""
    values = {
        "start": appt.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "modality": appt.modality,
    }
    if appt.modality == "telehealth" and appt.join_url:
        values["join_url"] = appt.join_url
    return values


def _request(
    appt: Appointment,
    *,
    what: str,
    template_id: str,
    category: Category,
    values: dict[str, str],
    expires_at: datetime | None,
    replies: bool,
    now: datetime,
) -> NotificationRequested:
    key = dedup_key(appt, what)
    return NotificationRequested(
        **IDS.envelope(
            "event",
            key,
            now=now,
            correlation_id=appt.correlation_id or appt.appointment_id,
            patient_id=appt.patient_id,
            site_id=appt.site_id,
        ),
        notification_id=notification_id(key),
        recipient=Recipient(kind="patient", id=appt.patient_id),
        template_id=template_id,
        variables=values,
        category=category,
        expires_at=expires_at,
        dedup_key=key,
        reply_context=ReplyContext(kind="appointment", ref=appt.appointment_id)
        if replies
        else ReplyContext(),
    )


def booking_notice(appt: Appointment, *, rescheduled: bool, now: datetime) -> NotificationRequested:
    """The confirmation of a booking, or of the new slot after a reschedule."""
    values = variables(appt) | {"rescheduled": "yes" if rescheduled else "no"}
    return _request(
        appt,
        what="booked",
        template_id="appointment_booked",
        category="appointment_booked",
        values=values,
        expires_at=appt.start,
        replies=True,
        now=now,
    )


def reminder(appt: Appointment, step: PlannedStep, *, now: datetime) -> NotificationRequested:
    """One reminder of the cascade; a re-ask invites 1 confirm / 2 reschedule / 3 cancel."""
    values = variables(appt) | {"ask": "yes" if step.reask else "no"}
    return _request(
        appt,
        what=step.name,
        template_id="appointment_reminder",
        category="appointment_reminder",
        values=values,
        expires_at=appt.start,
        replies=True,
        now=now,
    )


def cancellation_notice(appt: Appointment, *, now: datetime) -> NotificationRequested:
    """The appointment is off (pointless once its start has passed)."""
    return _request(
        appt,
        what="cancelled",
        template_id="appointment_cancelled",
        category="appointment_cancelled",
        values=variables(appt),
        expires_at=appt.start,
        replies=False,
        now=now,
    )


def rebook_due(appt: Appointment, policy: Policy, now: datetime) -> datetime:
    """When the "we missed you" text goes: a while after the start, never in the past."""
    return max(now, appt.start + policy.rebook_after)


def rebook_invitation(appt: Appointment, policy: Policy, *, now: datetime) -> NotificationRequested:
    """After a no-show: "we missed you, reply 2 to rebook" (APPT-REBOOK)."""
    expires = appt.start + policy.rebook_after + policy.rebook_valid_for
    return _request(
        appt,
        what="rebook",
        template_id="appointment_rebook",
        category="appointment_rebook",
        values=variables(appt),
        expires_at=expires,
        replies=True,
        now=now,
    )
