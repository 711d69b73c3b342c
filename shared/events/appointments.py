"""Events on mtm.appointments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Event, Id, UtcDatetime

Modality = Literal["in_person", "telehealth"]


class AppointmentBooked(Event):
    """An appointment was booked."""

    event_type: Literal["AppointmentBooked"] = "AppointmentBooked"
    patient_id: Id
    site_id: Id
    appointment_id: Id
    clinician_id: Id | None = None
    start: UtcDatetime = Field(description="Start instant (UTC).")
    duration_minutes: int = Field(default=30, ge=5, le=480)
    modality: Modality = "in_person"
    join_url: str | None = Field(
        default=None, max_length=512, description="Telehealth link without PHI in the query string."
    )


class AppointmentRescheduled(Event):
    """An appointment moved to a new start."""

    event_type: Literal["AppointmentRescheduled"] = "AppointmentRescheduled"
    patient_id: Id
    appointment_id: Id
    start: UtcDatetime = Field(description="New start instant (UTC).")
    previous_start: UtcDatetime | None = None
    modality: Modality | None = None


class AppointmentCancelled(Event):
    """An appointment was cancelled by the clinic or the patient."""

    event_type: Literal["AppointmentCancelled"] = "AppointmentCancelled"
    patient_id: Id
    appointment_id: Id
    cancelled_by: Literal["patient", "clinic"] = "clinic"


class AppointmentConfirmed(Event):
    """The patient confirmed they will attend."""

    event_type: Literal["AppointmentConfirmed"] = "AppointmentConfirmed"
    patient_id: Id
    appointment_id: Id
    channel: Literal["sms", "phone", "portal", "staff"] = "sms"
    message_sid: str | None = Field(default=None, max_length=64)


class AppointmentChangeRequested(Event):
    """The patient asked by SMS to reschedule or cancel; staff act on it."""

    event_type: Literal["AppointmentChangeRequested"] = "AppointmentChangeRequested"
    patient_id: Id
    appointment_id: Id
    request: Literal["reschedule", "cancel"]
    message_sid: str | None = Field(default=None, max_length=64)


class AppointmentCompleted(Event):
    """The visit took place."""

    event_type: Literal["AppointmentCompleted"] = "AppointmentCompleted"
    patient_id: Id
    appointment_id: Id


class AppointmentNoShow(Event):
    """The patient did not attend."""

    event_type: Literal["AppointmentNoShow"] = "AppointmentNoShow"
    patient_id: Id
    appointment_id: Id
