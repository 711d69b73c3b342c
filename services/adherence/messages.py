"""The events adherence publishes, built from plain data: PHI-free notification requests
(template ids and variables, never a drug name), DoseMissed and ClinicalAlertRaised."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from services.adherence.rules.alerts import Finding
from services.adherence.rules.model import Dose, Plan
from services.adherence.rules.refills import RefillSchedule
from services.adherence.rules.schedule import time_label
from shared.events import (
    ClinicalAlertRaised,
    DoseMissed,
    Evidence,
    NotificationRequested,
    Recipient,
    ReplyContext,
)
from shared.ids import IdSpace

IDS = IdSpace(UUID("5d3c1f0e-8a6b-4e0b-9b7a-2f1d6c4a9e11"), source="adherence")
"""Every id adherence derives from a business key: `IDS.id(key)`, `IDS.id("event", key)`."""

DOSE_REMINDER = "dose_reminder"
DOSE_FOLLOWUP = "dose_followup"
REFILL_REMINDER = "refill_reminder"
CAREGIVER_MISSED_DOSE = "caregiver_missed_dose"
CAREGIVER_NOTICE_VALID = timedelta(hours=24)


def _corr(value: str) -> str:
    return value if len(value) <= 128 else hashlib.sha256(value.encode()).hexdigest()


Prompt = Literal["reminder", "followup"]


def dose_prompt(dose: Dose, plan: Plan, step: Prompt) -> NotificationRequested:
    """The reminder at the dose time, or the one follow-up: the patient chose this time, so
    quiet hours do not hold it back; a reply is read as being about this dose."""
    key = f"dose:{dose.dose_id}:{step}"
    return NotificationRequested(
        event_id=IDS.id("event", key),
        notification_id=IDS.id(key),
        source=IDS.source,
        correlation_id=_corr(dose.dose_id),
        patient_id=dose.patient_id,
        site_id=plan.site_id,
        recipient=Recipient(kind="patient", id=dose.patient_id),
        template_id=DOSE_REMINDER if step == "reminder" else DOSE_FOLLOWUP,
        variables={"time": time_label(dose.local_time)},
        category="dose_reminder" if step == "reminder" else "dose_followup",
        expires_at=dose.cutoff_at,
        dedup_key=key,
        patient_chosen_time=True,
        reply_context=ReplyContext(kind="dose", ref=dose.dose_id, extra={"plan_id": plan.plan_id}),
    )


def caregiver_notice(dose: Dose, plan: Plan, caregiver_id: str) -> NotificationRequested:
    """A PHI-free note to a linked caregiver that a dose was not confirmed."""
    key = f"dose:{dose.dose_id}:caregiver:{caregiver_id}"
    return NotificationRequested(
        event_id=IDS.id("event", key),
        notification_id=IDS.id(key),
        source=IDS.source,
        correlation_id=_corr(dose.dose_id),
        patient_id=dose.patient_id,
        site_id=plan.site_id,
        recipient=Recipient(kind="caregiver", id=caregiver_id),
        template_id=CAREGIVER_MISSED_DOSE,
        variables={"time": time_label(dose.local_time)},
        category="caregiver_missed_dose",
        expires_at=dose.scheduled_at + CAREGIVER_NOTICE_VALID,
        dedup_key=key,
    )


def refill_reminder(
    plan: Plan, supply: RefillSchedule, today: date, expires_at: datetime
) -> NotificationRequested:
    """A refill reminder: `days` of supply left (quiet hours apply, it is not patient-timed)."""
    key = f"refill:{plan.plan_id}:{supply.run_out.isoformat()}"
    return NotificationRequested(
        event_id=IDS.id("event", key),
        notification_id=IDS.id(key),
        source=IDS.source,
        correlation_id=_corr(plan.plan_id),
        patient_id=plan.patient_id,
        site_id=plan.site_id,
        recipient=Recipient(kind="patient", id=plan.patient_id),
        template_id=REFILL_REMINDER,
        variables={"days": str(supply.days_left(today))},
        category="refill_reminder",
        expires_at=expires_at,
        dedup_key=key,
    )


def dose_missed(dose: Dose, plan: Plan, reason: Literal["no_reply", "skipped"]) -> DoseMissed:
    """DoseMissed for the other services (the symptoms service's cross-stream rules)."""
    return DoseMissed(
        event_id=IDS.id("missed", dose.dose_id),
        source=IDS.source,
        correlation_id=_corr(dose.dose_id),
        patient_id=dose.patient_id,
        site_id=plan.site_id,
        plan_id=plan.plan_id,
        dose_id=dose.dose_id,
        scheduled_at=dose.scheduled_at,
        reason=reason,
        drug_class=plan.drug_class,  # type: ignore[arg-type]
    )


def dedup_key(patient_id: str, rule_id: str, scope: str, episode: str) -> str:
    """Patient + rule + scope + episode start; hashed if it would be longer than allowed."""
    key = f"{patient_id}:{rule_id}:{scope}:{episode}"
    if len(key) <= 256:
        return key
    return f"{rule_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def alert(
    finding: Finding, *, patient_id: str, site_id: str | None, scope: str, episode: str
) -> ClinicalAlertRaised:
    """ClinicalAlertRaised for one episode of a rule, with its evidence."""
    key = dedup_key(patient_id, finding.rule_id, scope, episode)
    return ClinicalAlertRaised(
        event_id=IDS.id("event", key),
        source=IDS.source,
        correlation_id=_corr(key),
        patient_id=patient_id,
        site_id=site_id,
        alert_id=str(IDS.id(key)),
        severity=finding.severity,  # type: ignore[arg-type]
        rule_id=finding.rule_id,
        evidence=[
            Evidence(kind=e.kind, ref=e.ref[:128], detail=e.detail[:256])  # type: ignore[arg-type]
            for e in finding.evidence
        ],
        suggested_action=finding.action[:256],
        dedup_key=key,
    )
