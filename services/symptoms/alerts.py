"""Findings to events: ClinicalAlertRaised on mtm.alerts and the crisis text on mtm.notify.urgent.

Ids are derived from the dedup key, so a redelivered event publishes the very same alert and
notification ids and downstream consumers drop the copy. What was published is recorded only
after the publish succeeded."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from services.symptoms.ids import IDS
from services.symptoms.rules.model import AlertRecord, Finding, rank
from services.symptoms.state import SymptomState
from shared.broker import EventBus
from shared.clock import Clock
from shared.events import ClinicalAlertRaised, Event, NotificationRequested, Recipient

log = logging.getLogger("mtm.symptoms")

CRISIS_TEMPLATE = "crisis_resources"


def alert_event(
    finding: Finding, *, patient_id: str, cause: Event, at: datetime
) -> ClinicalAlertRaised:
    key = finding.dedup_key(patient_id)
    return ClinicalAlertRaised(
        **IDS.envelope(
            "alert-event",
            key,
            now=at,
            correlation_id=cause.correlation_id or str(cause.event_id),
            patient_id=patient_id,
            site_id=cause.site_id,
        ),
        alert_id=str(IDS.id("alert", key)),
        severity=finding.severity,
        rule_id=finding.rule_id,
        evidence=list(finding.evidence)[:50],
        suggested_action=finding.suggested_action[:256],
        dedup_key=key,
    )


def crisis_event(
    alert: ClinicalAlertRaised, *, at: datetime, expires_at: datetime | None = None
) -> NotificationRequested:
    """The crisis-resources text for the patient (988/911; the dispatcher renders it PHI-free)."""
    key = f"crisis:{alert.dedup_key}"
    return NotificationRequested(
        **IDS.envelope(
            "crisis-event",
            key,
            now=at,
            correlation_id=alert.correlation_id,
            patient_id=alert.patient_id,
            site_id=alert.site_id,
        ),
        notification_id=IDS.id("crisis", key),
        recipient=Recipient(kind="patient", id=alert.patient_id),
        template_id=CRISIS_TEMPLATE,
        category="crisis_resources",
        priority="urgent",
        expires_at=expires_at,
        dedup_key=key,
    )


class AlertPublisher:
    """Publishes each finding once per (rule, record, severity), and one crisis text per record."""

    def __init__(
        self,
        bus: EventBus,
        state: SymptomState,
        clock: Clock,
        *,
        crisis_valid_for: timedelta = timedelta(hours=24),
    ) -> None:
        self.bus = bus
        self.state = state
        self.clock = clock
        self.crisis_valid_for = crisis_valid_for

    async def publish(
        self, findings: Iterable[Finding], *, patient_id: str, cause: Event, now: datetime
    ) -> list[ClinicalAlertRaised]:
        """Publish what is new, most urgent first; return the alerts published."""
        sent: list[ClinicalAlertRaised] = []
        texted: set[str] = set()  # records whose crisis text is out (or already was)
        for finding in sorted(findings, key=lambda f: rank(f.severity)):
            known = await self.state.published(patient_id, finding.rule_id, finding.scope)
            new = known is None or rank(finding.severity) < rank(known)
            # The alert that is (or is about to be) out for this rule and record.
            out = finding if new else replace(finding, severity=known or finding.severity)
            alert = alert_event(out, patient_id=patient_id, cause=cause, at=self.clock.now())
            if new:
                await self.bus.publish(alert)
            log.info(
                "clinical alert raised" if new else "alert already raised",
                extra={
                    "patient_id": patient_id,
                    "alert_id": alert.alert_id,
                    "rule_id": alert.rule_id,
                    "severity": alert.severity,
                },
            )
            # Checked even when the alert was already out: a record's text must not depend on
            # which of its findings happened to be published first.
            if finding.crisis_text and finding.scope not in texted:
                await self._crisis(alert, scope=finding.scope, now=now)
                texted.add(finding.scope)
            if new:
                await self.state.mark_published(
                    patient_id, finding.rule_id, finding.scope, finding.severity, now
                )
                await self.state.save_alert(
                    patient_id, AlertRecord(alert.alert_id, alert.rule_id, alert.severity, now)
                )
                sent.append(alert)
        return sent

    async def _crisis(self, alert: ClinicalAlertRaised, *, scope: str, now: datetime) -> None:
        """One crisis text per response, session or report, tied to its first crisis alert."""
        assert alert.patient_id is not None
        if await self.state.crisis_sent(alert.patient_id, scope):
            return
        # A text about an answer given long ago (a backfill, a replay) would confuse more than help;
        # the clinician alert still stands.
        note = crisis_event(alert, at=self.clock.now(), expires_at=now + self.crisis_valid_for)
        await self.bus.publish(note)
        await self.state.mark_crisis(alert.patient_id, scope, str(note.notification_id), now)
        log.info(
            "crisis resources requested",
            extra={
                "patient_id": alert.patient_id,
                "alert_id": alert.alert_id,
                "notification_id": str(note.notification_id),
            },
        )
