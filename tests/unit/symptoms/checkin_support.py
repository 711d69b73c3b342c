"""A harness for the check-in handlers: the symptoms service on TestKafkaBroker, a fake Redis, a
fake clock that fires the check-in timers, and everything it publishes in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fakeredis import FakeAsyncRedis
from faststream.kafka import TestKafkaBroker

from services.symptoms.app import build
from services.symptoms.context import Context
from services.symptoms.settings import SymptomsSettings
from shared import events as ev
from shared import topics
from shared.clock import FakeClock
from shared.events import parse_event, topic_for
from shared.runtime import Service
from shared.testing.factories import sample

PATIENT = "p-ci"
# Mon 2 March 2026, 09:00 in Austin (CST).
MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@dataclass
class Harness:
    br: Any
    svc: Service[Context]
    clock: FakeClock
    out: list[ev.Event] = field(default_factory=list)
    """Everything published on alerts, notify and symptoms topics, in order."""

    async def send(self, event: ev.Event) -> None:
        await self.br.publish(
            event.model_dump(mode="json"), topic=topic_for(event), key=event.kafka_key()
        )

    async def at(self, instant: datetime) -> int:
        """Move the clock and fire every check-in timer due by then."""
        self.clock.set(instant)
        return await self.svc.workers[0].run_once()

    def items(self) -> list[ev.NotificationRequested]:
        return [
            e
            for e in self.out
            if isinstance(e, ev.NotificationRequested) and e.category == "checkin_item"
        ]

    def asked(self) -> list[tuple[str, str]]:
        return [(r.variables["instrument"], r.variables["item"]) for r in self.items()]

    def of(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.out if isinstance(e, cls)]

    def alerts(self) -> list[tuple[str, str]]:
        return [(a.rule_id, a.severity) for a in self.of(ev.ClinicalAlertRaised)]

    def crisis_texts(self) -> list[ev.NotificationRequested]:
        return [e for e in self.of(ev.NotificationRequested) if e.category == "crisis_resources"]

    async def answer(
        self, value: int, *, values: list[int] | None = None, event_id: Any = None
    ) -> ev.QuestionnaireItemAnswered:
        """Answer the item asked last, as the dispatcher would publish it."""
        ctx = self.items()[-1].reply_context
        fields: dict[str, Any] = {
            "patient_id": PATIENT,
            "session_id": ctx.ref,
            "instrument": ctx.extra["instrument"],
            "item": ctx.extra["item"],
            "value": value,
            "values": values or [],
            "occurred_at": self.clock.now(),
        }
        if event_id is not None:
            fields["event_id"] = event_id
        event = sample(ev.QuestionnaireItemAnswered, **fields)
        await self.send(event)
        return event


def plan_set(kind: str = "PHQ-2", **kw: Any) -> ev.CheckInPlanSet:
    fields: dict[str, Any] = {
        "patient_id": PATIENT,
        "site_id": "austin",
        "kind": kind,
        "every_days": 7,
        "weekday": 0,
        "local_time": "10:00",
        "zone": "America/Chicago",
        "start_date": date(2026, 3, 2),
        "occurred_at": MONDAY,
    }
    return sample(ev.CheckInPlanSet, **{**fields, **kw})


@asynccontextmanager
async def running(namespace: str, **symptoms: Any) -> AsyncIterator[Harness]:
    redis = FakeAsyncRedis()
    settings = SymptomsSettings(
        redis={"namespace": namespace},
        kafka={"retry_backoff_seconds": 0.01},
        symptoms=symptoms,
    )
    clock = FakeClock(MONDAY)
    svc = build(settings, redis=redis, clock=clock)
    h = Harness(br=None, svc=svc, clock=clock)
    broker = svc.runtime.broker
    for topic in (topics.ALERTS, topics.NOTIFY_URGENT, topics.NOTIFY_ROUTINE, topics.SYMPTOMS):

        def capture(topic: str = topic) -> Any:
            async def on_event(body: dict[str, Any]) -> None:
                event = parse_event(topic, body)
                if topic != topics.SYMPTOMS or event.source == "symptoms":
                    h.out.append(event)

            return on_event

        broker.subscriber(topic, group_id=f"capture-{topic}")(capture())
    async with TestKafkaBroker(broker) as br:
        h.br = br
        yield h
    await redis.aclose()
