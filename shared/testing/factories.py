"""Event factories: a valid example of every event type, with overrides.

sample(PatientEnrolled, patient_id="p-42")
every_event()   # one of each of the 40 types
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

from shared import events as ev

E = TypeVar("E", bound=ev.Event)

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
PATIENT = "p-1001"
SITE = "austin"
PHONE = "+15125550143"
CLINICIAN_PHONE = "+15125550188"
OUR_NUMBER = "+15125550100"
SID = "SM" + "a" * 32


def _defaults() -> dict[type[ev.Event], dict[str, Any]]:
    recipient = {"kind": "patient", "id": PATIENT}
    return {
        ev.PatientEnrolled: {
            "patient_id": PATIENT,
            "site_id": SITE,
            "phone": PHONE,
            "zone": "America/Chicago",
            "language": "en",
            "consents": ["appointments", "medications"],
            "date_of_birth": date(1990, 5, 17),
        },
        ev.PatientContactChanged: {"patient_id": PATIENT, "language": "es"},
        ev.ConsentChanged: {
            "patient_id": PATIENT,
            "status": "revoked",
            "scope": "all",
            "channel": "sms_keyword",
            "evidence": SID,
        },
        ev.CaregiverLinked: {
            "patient_id": PATIENT,
            "caregiver_id": "cg-1",
            "phone": "+15125550177",
            "consent_evidence": "form-77",
        },
        ev.CaregiverUnlinked: {"patient_id": PATIENT, "caregiver_id": "cg-1"},
        ev.PatientDischarged: {"patient_id": PATIENT, "reason": "transferred"},
        ev.AppointmentBooked: {
            "patient_id": PATIENT,
            "site_id": SITE,
            "appointment_id": "ap-1",
            "clinician_id": "c-1",
            "start": T0 + timedelta(days=3),
            "modality": "in_person",
        },
        ev.AppointmentRescheduled: {
            "patient_id": PATIENT,
            "appointment_id": "ap-1",
            "start": T0 + timedelta(days=4),
        },
        ev.AppointmentCancelled: {"patient_id": PATIENT, "appointment_id": "ap-1"},
        ev.AppointmentConfirmed: {
            "patient_id": PATIENT,
            "appointment_id": "ap-1",
            "message_sid": SID,
        },
        ev.AppointmentChangeRequested: {
            "patient_id": PATIENT,
            "appointment_id": "ap-1",
            "request": "reschedule",
        },
        ev.AppointmentCompleted: {"patient_id": PATIENT, "appointment_id": "ap-1"},
        ev.AppointmentNoShow: {"patient_id": PATIENT, "appointment_id": "ap-1"},
        ev.MedicationPlanStarted: {
            "patient_id": PATIENT,
            "plan_id": "plan-1",
            "drug": "sertraline",
            "drug_class": "ssri",
            "dose_times": ["08:00"],
            "zone": "America/Chicago",
            "start_date": date(2026, 3, 1),
        },
        ev.MedicationPlanChanged: {
            "patient_id": PATIENT,
            "plan_id": "plan-1",
            "dose_times": ["08:00", "20:00"],
            "dose_changed": True,
        },
        ev.MedicationPlanStopped: {"patient_id": PATIENT, "plan_id": "plan-1"},
        ev.DoseTaken: {
            "patient_id": PATIENT,
            "plan_id": "plan-1",
            "dose_id": "plan-1:2026-03-10:08:00",
            "taken_at": T0,
        },
        ev.DoseSkipped: {
            "patient_id": PATIENT,
            "plan_id": "plan-1",
            "dose_id": "plan-1:2026-03-10:08:00",
            "reported_at": T0,
        },
        ev.DoseMissed: {
            "patient_id": PATIENT,
            "plan_id": "plan-1",
            "dose_id": "plan-1:2026-03-10:08:00",
            "scheduled_at": T0,
            "drug_class": "ssri",
        },
        ev.MedicationDispensed: {
            "patient_id": PATIENT,
            "plan_id": "plan-1",
            "drug": "sertraline",
            "drug_class": "ssri",
            "fill_date": date(2026, 3, 1),
            "days_supply": 30,
        },
        ev.QuestionnaireCompleted: {
            "patient_id": PATIENT,
            "response_id": "qr-1",
            "instrument": "PHQ-9",
            "answers": [{"item": str(i), "value": 1} for i in range(1, 10)],
        },
        ev.QuestionnaireItemAnswered: {
            "patient_id": PATIENT,
            "session_id": "s-1",
            "instrument": "PHQ-2",
            "item": "1",
            "value": 2,
        },
        ev.CheckInPlanSet: {
            "patient_id": PATIENT,
            "kind": "PHQ-2",
            "zone": "America/Chicago",
            "start_date": date(2026, 3, 2),
        },
        ev.SideEffectReported: {
            "patient_id": PATIENT,
            "report_id": "se-1",
            "effects": [{"code": "rash_new", "severity": 2}],
            "free_text": "itchy rash on arm",
        },
        ev.WeightRecorded: {"patient_id": PATIENT, "weight_kg": 81.5, "measured_at": T0},
        ev.ClinicianRegistered: {
            "clinician_id": "c-1",
            "phone": CLINICIAN_PHONE,
            "display_name": "Dr. Lee",
            "sites": [SITE],
        },
        ev.RosterPublished: {
            "site_id": SITE,
            "roster_id": "r-1",
            "zone": "America/Chicago",
            "director_id": "c-9",
            "shifts": [
                {
                    "start_local": "2026-03-08T08:00",
                    "end_local": "2026-03-09T08:00",
                    "primary_id": "c-1",
                    "backup_id": "c-2",
                }
            ],
        },
        ev.ClinicalAlertRaised: {
            "patient_id": PATIENT,
            "alert_id": "al-1",
            "severity": "P1",
            "rule_id": "SYM-PHQ9-ITEM9",
            "dedup_key": f"{PATIENT}:SYM-PHQ9-ITEM9",
            "evidence": [{"kind": "item", "ref": "qr-1", "detail": "item 9 = 1"}],
        },
        ev.AlertPaged: {
            "patient_id": PATIENT,
            "alert_id": "al-1",
            "code": "4821",
            "clinician_id": "c-1",
            "step": 0,
            "notification_id": "n-1",
        },
        ev.AlertEscalated: {
            "patient_id": PATIENT,
            "alert_id": "al-1",
            "from_step": 0,
            "to_step": 1,
            "reason": "no_ack",
        },
        ev.AlertAcknowledged: {
            "patient_id": PATIENT,
            "alert_id": "al-1",
            "code": "4821",
            "clinician_id": "c-2",
        },
        ev.AlertResolved: {
            "patient_id": PATIENT,
            "alert_id": "al-1",
            "code": "4821",
            "clinician_id": "c-2",
        },
        ev.OperationalWarning: {
            "site_id": SITE,
            "warning": "roster_gap",
            "detail": "no primary 2026-03-12",
        },
        ev.NotificationRequested: {
            "patient_id": PATIENT,
            "notification_id": uuid4(),
            "recipient": recipient,
            "template_id": "dose_reminder",
            "variables": {"time": "8:00 AM"},
            "category": "dose_reminder",
            "dedup_key": "dose:plan-1:2026-03-10:08:00",
            "patient_chosen_time": True,
        },
        ev.NotificationSent: {
            "patient_id": PATIENT,
            "notification_id": uuid4(),
            "message_sid": SID,
            "recipient": recipient,
            "category": "dose_reminder",
        },
        ev.NotificationDelivered: {
            "patient_id": PATIENT,
            "notification_id": uuid4(),
            "message_sid": SID,
            "recipient": recipient,
            "category": "dose_reminder",
        },
        ev.NotificationFailed: {
            "patient_id": PATIENT,
            "notification_id": uuid4(),
            "recipient": recipient,
            "category": "dose_reminder",
            "error_code": 30003,
            "permanent": False,
        },
        ev.NotificationSuppressed: {
            "patient_id": PATIENT,
            "notification_id": uuid4(),
            "recipient": recipient,
            "category": "appointment_reminder",
            "reason": "quiet_hours_deferred",
            "deferred_until": T0 + timedelta(hours=10),
        },
        ev.InboundSmsReceived: {
            "message_sid": SID,
            "from_phone": PHONE,
            "to_phone": OUR_NUMBER,
            "body": "Y",
            "received_at": T0,
        },
        ev.SmsStatusReceived: {"message_sid": SID, "status": "delivered", "received_at": T0},
    }


def sample(cls: type[E], **overrides: Any) -> E:
    """A valid instance of an event type, with fields overridden."""
    fields = {"source": "test", "correlation_id": "corr-test", **_defaults()[cls], **overrides}
    return cls(**fields)


def every_event() -> list[ev.Event]:
    """One valid example of every event type."""
    return [sample(cls) for cls in ev.EVENT_TYPES.values()]
