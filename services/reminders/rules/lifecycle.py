"""How appointment events change an appointment's state (terminal states never change back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.reminders.rules.model import Appointment, ChangeRequest, Modality, Status


def booked(
    current: Appointment | None,
    *,
    appointment_id: str,
    patient_id: str,
    site_id: str,
    start: datetime,
    modality: Modality,
    join_url: str | None,
    correlation_id: str | None,
) -> Appointment:
    """A booking; a repeated booking of the same slot keeps what replies already told us."""
    if current is not None and current.status == "booked" and current.start == start:
        return current
    return Appointment(
        appointment_id=appointment_id,
        patient_id=patient_id,
        site_id=site_id,
        start=start,
        modality=modality,
        join_url=join_url,
        correlation_id=correlation_id,
        revision=current.revision + 1 if current is not None else 0,
    )


def rescheduled(
    current: Appointment | None,
    *,
    appointment_id: str,
    patient_id: str,
    start: datetime,
    modality: Modality | None,
    site_id: str | None,
    correlation_id: str | None,
) -> Appointment | None:
    """A new start; an appointment we never saw is taken up if its site is known. A cancelled,
    completed or missed appointment is not revived by a reschedule (the clinic books anew)."""
    if current is None:
        if not site_id:
            return None
        return Appointment(
            appointment_id=appointment_id,
            patient_id=patient_id,
            site_id=site_id,
            start=start,
            modality=modality or "in_person",
            correlation_id=correlation_id,
        )
    if current.status != "booked":
        return current
    if current.start == start and modality in (None, current.modality):
        return current
    # The new slot has not been confirmed yet, and an open change request is now answered.
    return replace(
        current,
        start=start,
        modality=modality or current.modality,
        confirmed=False,
        change_requested=None,
        correlation_id=correlation_id or current.correlation_id,
        revision=current.revision + 1,
    )


def confirmed(current: Appointment) -> Appointment:
    """The patient will come; the latest reply wins over an earlier change request."""
    if current.status != "booked":
        return current
    return replace(current, confirmed=True, change_requested=None)


def change_requested(current: Appointment, request: ChangeRequest) -> Appointment:
    """The patient asked to reschedule or cancel; staff will act on it."""
    if current.status != "booked":
        return current
    return replace(current, change_requested=request, confirmed=False)


def ended(current: Appointment, status: Status) -> Appointment:
    """Cancelled, completed or missed: the first terminal state sticks."""
    if current.status != "booked":
        return current
    return replace(current, status=status)
