"""A harness for the symptoms handlers: TestKafkaBroker, a fake Redis, captured output."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fakeredis import FakeAsyncRedis
from faststream.kafka import TestKafkaBroker

from services.symptoms.app import build
from services.symptoms.settings import SymptomsSettings
from shared import events as ev
from shared import topics
from shared.clock import FakeClock
from shared.events import ClinicalAlertRaised, NotificationRequested, parse_event, topic_for
from shared.testing.factories import sample
from tests.unit.symptoms.support import NOW

PATIENT = "p-77"


@dataclass
class Harness:
    br: Any
    redis: FakeAsyncRedis
    namespace: str
    alerts: list[ClinicalAlertRaised] = field(default_factory=list)
    urgent: list[NotificationRequested] = field(default_factory=list)
    warnings: list[ev.OperationalWarning] = field(default_factory=list)
    dead: list[Any] = field(default_factory=list)

    async def send(self, event: ev.Event) -> None:
        await self.br.publish(
            event.model_dump(mode="json"), topic=topic_for(event), key=event.kafka_key()
        )

    def rules(self) -> list[tuple[str, str]]:
        return [(a.rule_id, a.severity) for a in self.alerts]


@asynccontextmanager
async def running(namespace: str) -> AsyncIterator[Harness]:
    """The symptoms router on the in-memory broker, its alerts and crisis requests captured."""
    redis = FakeAsyncRedis()
    settings = SymptomsSettings(
        redis={"namespace": namespace}, kafka={"retry_backoff_seconds": 0.01}
    )
    rt = build(settings, redis=redis, clock=FakeClock(NOW)).runtime
    h = Harness(br=None, redis=redis, namespace=namespace)

    @rt.broker.subscriber(topics.ALERTS, group_id="capture-alerts")
    async def capture_alert(body: dict[str, Any]) -> None:
        event = parse_event(topics.ALERTS, body)
        if isinstance(event, ClinicalAlertRaised):
            h.alerts.append(event)
        elif isinstance(event, ev.OperationalWarning):
            h.warnings.append(event)

    @rt.broker.subscriber(topics.dlq(topics.SYMPTOMS), group_id="capture-dead")
    async def capture_dead(body: Any) -> None:
        h.dead.append(body)

    @rt.broker.subscriber(topics.NOTIFY_URGENT, group_id="capture-urgent")
    async def capture_urgent(body: dict[str, Any]) -> None:
        h.urgent.append(NotificationRequested.model_validate(body))

    async with TestKafkaBroker(rt.broker) as br:
        h.br = br
        yield h
    await redis.aclose()


def phq9(values: list[int], **kw: Any) -> ev.QuestionnaireCompleted:
    fields = {
        "patient_id": PATIENT,
        "response_id": "qr-1",
        "occurred_at": NOW,
        "answers": [{"item": str(i), "value": v} for i, v in enumerate(values, start=1)],
    }
    return sample(ev.QuestionnaireCompleted, **{**fields, **kw})


def plan(
    drug: str, drug_class: str, days_on: int, plan_id: str = "plan-1"
) -> ev.MedicationPlanStarted:
    return sample(
        ev.MedicationPlanStarted,
        patient_id=PATIENT,
        plan_id=plan_id,
        drug=drug,
        drug_class=drug_class,
        start_date=NOW.date() - timedelta(days=days_on),
        occurred_at=NOW - timedelta(days=days_on),
    )


def side_effects(*codes: str, report_id: str = "se-1", **kw: Any) -> ev.SideEffectReported:
    return sample(
        ev.SideEffectReported,
        patient_id=PATIENT,
        report_id=report_id,
        effects=[{"code": c, "severity": 2} for c in codes],
        occurred_at=NOW,
        **{"free_text": None, **kw},
    )


def missed_dose(n: int, plan_id: str = "plan-1") -> ev.DoseMissed:
    at = NOW - timedelta(days=n)
    return sample(
        ev.DoseMissed,
        patient_id=PATIENT,
        plan_id=plan_id,
        dose_id=f"{plan_id}:{n}",
        scheduled_at=at,
        occurred_at=at + timedelta(hours=12),
    )
