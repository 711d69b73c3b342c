"""Valid records interleaved with the hostile ones, one kind per inbound topic, each with an
effect a user would notice (a directory entry, a reminder requested, an alert raised...)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from shared import topics
from shared.events import (
    AppointmentBooked,
    ClinicalAlertRaised,
    ClinicianRegistered,
    Event,
    InboundSmsReceived,
    MedicationPlanStarted,
    NotificationDelivered,
    NotificationRequested,
    PatientEnrolled,
    QuestionnaireCompleted,
    SmsStatusReceived,
)
from shared.testing.factories import sample
from tests import phi_scan
from tests.hostile.services import Running

AUSTIN_NUMBER = "+15125550100"  # the dispatcher's default sender for the Austin site


@dataclass(frozen=True)
class Sentinel:
    """A valid record and how to tell it was processed (None: its committed offset says so)."""

    topic: str
    event: Event
    check: str | None = None

    def value(self) -> bytes:
        return self.event.model_dump_json().encode()


def phone_for(n: int) -> str:
    phone = f"+1512555{2000 + n % 8000:04d}"
    phi_scan.register(phone)  # the session's log scan looks for it too
    return phone


def base_sentinels(n: int) -> list[Sentinel]:
    """What later sentinels build on: a patient enrolled and a clinician registered."""
    patient, clinician = f"p-sen-{n}", f"c-sen-{n}"
    return [
        Sentinel(
            topics.PATIENTS,
            sample(
                PatientEnrolled,
                patient_id=patient,
                phone=phone_for(n),
                consents=["appointments", "medications", "checkins"],
            ),
            "directory_patient",
        ),
        Sentinel(
            topics.CLINICIANS,
            sample(ClinicianRegistered, clinician_id=clinician, phone=phone_for(n + 4000)),
            "clinician_known",
        ),
    ]


def sentinels(n: int, *, now: datetime) -> list[Sentinel]:
    """One valid record for every inbound topic, for the n-th sentinel patient."""
    patient = f"p-sen-{n}"
    dose_request = sample(
        NotificationRequested,
        patient_id=patient,
        recipient={"kind": "patient", "id": patient},
        dedup_key=f"sentinel:{n}:routine",
        occurred_at=now,
    )
    return [
        *base_sentinels(n),
        Sentinel(
            topics.APPOINTMENTS,
            sample(
                AppointmentBooked,
                patient_id=patient,
                appointment_id=f"ap-sen-{n}",
                start=now + timedelta(days=3),
                occurred_at=now,
            ),
            "booking_notice",
        ),
        Sentinel(
            topics.MEDICATIONS,
            sample(
                MedicationPlanStarted,
                patient_id=patient,
                plan_id=f"plan-sen-{n}",
                start_date=date.today(),
                occurred_at=now,
            ),
            "adherence_handled",
        ),
        Sentinel(
            topics.SYMPTOMS,
            sample(
                QuestionnaireCompleted,
                patient_id=patient,
                response_id=f"qr-sen-{n}",
                occurred_at=now,
            ),
            "alert_raised",
        ),
        Sentinel(
            topics.ALERTS,
            sample(
                ClinicalAlertRaised,
                patient_id=f"p-alert-{n}",
                alert_id=f"al-sen-{n}",
                dedup_key=f"p-alert-{n}:sentinel",
                severity="P1",
                site_id="austin",
                occurred_at=now,
            ),
            "alert_open",
        ),
        Sentinel(topics.NOTIFY_ROUTINE, dose_request, "notification_outcome"),
        Sentinel(
            topics.NOTIFY_URGENT,
            sample(
                NotificationRequested,
                patient_id=patient,
                recipient={"kind": "patient", "id": patient},
                priority="urgent",
                template_id="clinic_callback",
                category="clinic_callback",
                variables={},
                patient_chosen_time=False,
                dedup_key=f"sentinel:{n}:urgent",
                occurred_at=now,
            ),
            "notification_outcome",
        ),
        Sentinel(
            topics.NOTIFY_STATUS,
            sample(NotificationDelivered, notification_id=uuid4(), patient_id=patient),
        ),
        Sentinel(
            topics.SMS_INBOUND,
            sample(
                InboundSmsReceived,
                message_sid="SM" + uuid4().hex,
                from_phone=phone_for(n),
                to_phone=AUSTIN_NUMBER,
                body="AYUDA",  # not HELP: Twilio answers HELP itself, the dispatcher AYUDA
                received_at=now,
            ),
            "help_answered",
        ),
        Sentinel(
            topics.SMS_STATUS,
            sample(SmsStatusReceived, message_sid="SM" + uuid4().hex, received_at=now),
        ),
    ]


Outputs = dict[str, list[dict[str, Any]]]
"""Records services published, as JSON objects, by topic (bare name)."""


def checker(running: Running, outputs: Outputs) -> Callable[[Sentinel], Awaitable[bool]]:
    """Whether a sentinel's effect is visible."""
    redis = running.escalation.store

    async def check(s: Sentinel) -> bool:
        e: Any = s.event
        if s.check == "directory_patient":
            return await running.dispatcher.directory.get("patient", e.patient_id) is not None
        if s.check == "clinician_known":
            known = await redis.redis.exists(redis.keys.clinician(e.clinician_id))
            listed = await running.dispatcher.directory.get("clinician", e.clinician_id)
            return bool(known) and listed is not None
        if s.check == "booking_notice":
            return any(
                r.get("category") == "appointment_booked" and r.get("patient_id") == e.patient_id
                for r in outputs.get(topics.NOTIFY_ROUTINE, [])
            )
        if s.check == "adherence_handled":
            return await running.adherence.once.done(f"event:{e.event_id}")
        if s.check == "alert_raised":
            return any(
                r.get("event_type") == "ClinicalAlertRaised" and r.get("patient_id") == e.patient_id
                for r in outputs.get(topics.ALERTS, [])
            )
        if s.check == "alert_open":
            return await redis.alert(e.alert_id) is not None
        if s.check == "notification_outcome":
            return any(
                r.get("notification_id") == str(e.notification_id)
                for r in outputs.get(topics.NOTIFY_STATUS, [])
            )
        if s.check == "help_answered":
            return any(
                r.get("template_id") == "help" and r.get("correlation_id") == str(e.event_id)
                for r in outputs.get(topics.NOTIFY_URGENT, [])
            )
        return True

    return check


def as_json(values: list[bytes]) -> list[dict[str, Any]]:
    out = []
    for value in values:
        try:
            body = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if isinstance(body, dict):
            out.append(body)
    return out


def utcnow() -> datetime:
    return datetime.now(UTC)
