"""Every event of mtm-notify: one envelope, pydantic v2 models, JSON on the wire.

Import from here: `from shared.events import PatientEnrolled, parse_event`.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from shared import topics
from shared.events.alerts import (
    AlertAcknowledged,
    AlertEscalated,
    AlertPaged,
    AlertResolved,
    ClinicalAlertRaised,
    Evidence,
    OperationalWarning,
    Severity,
)
from shared.events.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentChangeRequested,
    AppointmentCompleted,
    AppointmentConfirmed,
    AppointmentNoShow,
    AppointmentRescheduled,
    Modality,
)
from shared.events.base import PHI, Event, Model, phone_key
from shared.events.clinicians import ClinicianRegistered, RosterPublished, Shift
from shared.events.medications import (
    DoseMissed,
    DoseSkipped,
    DoseTaken,
    DrugClass,
    MedicationDispensed,
    MedicationPlanChanged,
    MedicationPlanStarted,
    MedicationPlanStopped,
)
from shared.events.notify import (
    Category,
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    NotificationSuppressed,
    Priority,
    Recipient,
    ReplyContext,
    SuppressReason,
)
from shared.events.patients import (
    CaregiverLinked,
    CaregiverUnlinked,
    ConsentChanged,
    Language,
    PatientContactChanged,
    PatientDischarged,
    PatientEnrolled,
    Program,
)
from shared.events.sms import InboundSmsReceived, SmsStatusReceived
from shared.events.symptoms import (
    CheckInPlanSet,
    Instrument,
    ItemAnswer,
    QuestionnaireCompleted,
    QuestionnaireItemAnswered,
    SideEffect,
    SideEffectReported,
    WeightRecorded,
)

TOPIC_EVENTS: dict[str, tuple[type[Event], ...]] = {
    topics.PATIENTS: (
        PatientEnrolled,
        PatientContactChanged,
        ConsentChanged,
        CaregiverLinked,
        CaregiverUnlinked,
        PatientDischarged,
    ),
    topics.APPOINTMENTS: (
        AppointmentBooked,
        AppointmentRescheduled,
        AppointmentCancelled,
        AppointmentConfirmed,
        AppointmentChangeRequested,
        AppointmentCompleted,
        AppointmentNoShow,
    ),
    topics.MEDICATIONS: (
        MedicationPlanStarted,
        MedicationPlanChanged,
        MedicationPlanStopped,
        DoseTaken,
        DoseSkipped,
        DoseMissed,
        MedicationDispensed,
    ),
    topics.SYMPTOMS: (
        QuestionnaireCompleted,
        QuestionnaireItemAnswered,
        CheckInPlanSet,
        SideEffectReported,
        WeightRecorded,
    ),
    topics.CLINICIANS: (ClinicianRegistered, RosterPublished),
    topics.ALERTS: (
        ClinicalAlertRaised,
        AlertPaged,
        AlertEscalated,
        AlertAcknowledged,
        AlertResolved,
        OperationalWarning,
    ),
    topics.NOTIFY_URGENT: (NotificationRequested,),
    topics.NOTIFY_ROUTINE: (NotificationRequested,),
    topics.NOTIFY_STATUS: (
        NotificationSent,
        NotificationDelivered,
        NotificationFailed,
        NotificationSuppressed,
    ),
    topics.SMS_INBOUND: (InboundSmsReceived,),
    topics.SMS_STATUS: (SmsStatusReceived,),
}

EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["event_type"].default: cls
    for classes in TOPIC_EVENTS.values()
    for cls in classes
}


def topic_for(event: Event) -> str:
    """The topic an event is published on (notifications: by priority)."""
    if isinstance(event, NotificationRequested):
        return topics.NOTIFY_URGENT if event.priority == "urgent" else topics.NOTIFY_ROUTINE
    for topic, classes in TOPIC_EVENTS.items():
        if type(event) in classes:
            return topic
    raise KeyError(type(event).__name__)


def _union(classes: tuple[type[Event], ...]) -> Any:
    if len(classes) == 1:
        return classes[0]
    return Annotated[Union[classes], Field(discriminator="event_type")]  # noqa: UP007


PatientsEvent = _union(TOPIC_EVENTS[topics.PATIENTS])
AppointmentsEvent = _union(TOPIC_EVENTS[topics.APPOINTMENTS])
MedicationsEvent = _union(TOPIC_EVENTS[topics.MEDICATIONS])
SymptomsEvent = _union(TOPIC_EVENTS[topics.SYMPTOMS])
CliniciansEvent = _union(TOPIC_EVENTS[topics.CLINICIANS])
AlertsEvent = _union(TOPIC_EVENTS[topics.ALERTS])
NotifyStatusEvent = _union(TOPIC_EVENTS[topics.NOTIFY_STATUS])

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    topic: TypeAdapter(_union(classes)) for topic, classes in TOPIC_EVENTS.items()
}


def parse_event(topic: str, data: bytes | str | dict[str, Any]) -> Event:
    """Validate a record of a topic into its event model (raises pydantic.ValidationError)."""
    adapter = _ADAPTERS[topic]
    if isinstance(data, dict):
        return adapter.validate_python(data)  # type: ignore[no-any-return,unused-ignore]
    return adapter.validate_json(data)  # type: ignore[no-any-return,unused-ignore]


__all__ = [
    "EVENT_TYPES",
    "PHI",
    "TOPIC_EVENTS",
    "AlertAcknowledged",
    "AlertEscalated",
    "AlertPaged",
    "AlertResolved",
    "AlertsEvent",
    "AppointmentBooked",
    "AppointmentCancelled",
    "AppointmentChangeRequested",
    "AppointmentCompleted",
    "AppointmentConfirmed",
    "AppointmentNoShow",
    "AppointmentRescheduled",
    "AppointmentsEvent",
    "CaregiverLinked",
    "CaregiverUnlinked",
    "Category",
    "CheckInPlanSet",
    "ClinicalAlertRaised",
    "ClinicianRegistered",
    "CliniciansEvent",
    "ConsentChanged",
    "DoseMissed",
    "DoseSkipped",
    "DoseTaken",
    "DrugClass",
    "Event",
    "Evidence",
    "InboundSmsReceived",
    "Instrument",
    "ItemAnswer",
    "Language",
    "MedicationDispensed",
    "MedicationPlanChanged",
    "MedicationPlanStarted",
    "MedicationPlanStopped",
    "MedicationsEvent",
    "Modality",
    "Model",
    "NotificationDelivered",
    "NotificationFailed",
    "NotificationRequested",
    "NotificationSent",
    "NotificationSuppressed",
    "NotifyStatusEvent",
    "OperationalWarning",
    "PatientContactChanged",
    "PatientDischarged",
    "PatientEnrolled",
    "PatientsEvent",
    "Priority",
    "Program",
    "QuestionnaireCompleted",
    "QuestionnaireItemAnswered",
    "Recipient",
    "ReplyContext",
    "RosterPublished",
    "Severity",
    "Shift",
    "SideEffect",
    "SideEffectReported",
    "SmsStatusReceived",
    "SuppressReason",
    "SymptomsEvent",
    "WeightRecorded",
    "parse_event",
    "phone_key",
    "topic_for",
]
