"""The adherence service on FastStream's in-memory broker, fakeredis and a FakeClock, with the
events it publishes collected; time is driven timer by timer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import fakeredis
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.adherence.app import build
from services.adherence.settings import AdherenceSettings
from shared import topics
from shared.clock import FakeClock
from shared.events import Event


class Harness:
    """One adherence service in memory; `published` holds what it sent, per topic."""

    def __init__(self, start: datetime, **section: Any) -> None:
        self.clock = FakeClock(start)
        self.redis = fakeredis.FakeAsyncRedis()
        settings = AdherenceSettings(redis={"namespace": "unit"}, adherence=section)
        # A plain broker: handler errors reach the test instead of a dead-letter topic.
        self.broker = KafkaBroker()
        service = build(settings, clock=self.clock, redis=self.redis, broker=self.broker)
        self.ctx = service.context
        [self.worker] = service.workers
        self.published: dict[str, list[dict[str, Any]]] = {
            topics.NOTIFY_ROUTINE: [],
            topics.ALERTS: [],
            topics.MEDICATIONS: [],
        }
        for topic in self.published:
            self._collect(topic)

    def _collect(self, topic: str) -> None:
        @self.broker.subscriber(topic, group_id=f"collect-{topic}")
        async def collect(body: dict[str, Any]) -> None:
            self.published[topic].append(body)

    async def send(self, event: Event) -> None:
        """Deliver an event to the service as Kafka would."""
        topic = topics.PATIENTS if event.event_type in _PATIENT_TYPES else topics.MEDICATIONS
        await self.broker.publish(event.model_dump(mode="json"), topic=topic, key=event.kafka_key())

    async def run_until(self, until: datetime) -> None:
        """Fire every timer due up to `until`, each at its own instant, then stop there."""
        for _ in range(10_000):
            due = await self.ctx.timers.next_due()
            if due is None or due > until:
                break
            self.clock.set(max(due, self.clock.now()))
            await self.worker.run_once()
        else:
            raise AssertionError("timers keep rescheduling themselves for now")
        self.clock.set(until)
        await self.worker.run_once()

    def notifications(self, category: str | None = None) -> list[dict[str, Any]]:
        return [
            n
            for n in self.published[topics.NOTIFY_ROUTINE]
            if category is None or n["category"] == category
        ]

    def alerts(self, rule_id: str | None = None) -> list[dict[str, Any]]:
        return [
            a for a in self.published[topics.ALERTS] if rule_id is None or a["rule_id"] == rule_id
        ]

    def missed(self) -> list[dict[str, Any]]:
        return [m for m in self.published[topics.MEDICATIONS] if m["event_type"] == "DoseMissed"]


_PATIENT_TYPES = {
    "PatientEnrolled",
    "PatientContactChanged",
    "ConsentChanged",
    "CaregiverLinked",
    "CaregiverUnlinked",
    "PatientDischarged",
}


@asynccontextmanager
async def running(start: datetime, **section: Any) -> AsyncIterator[Harness]:
    harness = Harness(start, **section)
    async with TestKafkaBroker(harness.broker):
        try:
            yield harness
        finally:
            await harness.redis.aclose()
