"""A reminders service on FastStream's in-memory broker, fakeredis and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fakeredis
import pytest
from faststream.kafka import TestKafkaBroker

from services.reminders.app import build
from services.reminders.context import Context
from services.reminders.settings import RemindersSettings
from shared import topics
from shared.clock import FakeClock
from shared.events import Event, NotificationRequested, parse_event, topic_for
from shared.runtime import Service

T0 = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


@dataclass
class Harness:
    """Publish events, move time, fire due timers, read what was requested."""

    service: Service[Context]
    broker: Any
    clock: FakeClock
    sent: list[NotificationRequested]

    async def publish(self, event: Event, *, occurred_at: datetime | None = None) -> None:
        """Publish an event that happened now on the fake clock (or at `occurred_at`)."""
        event = event.model_copy(update={"occurred_at": occurred_at or self.clock.now()})
        await self.broker.publish(
            event.model_dump(mode="json"), topic=topic_for(event), key=event.kafka_key()
        )

    async def at(self, instant: datetime) -> list[NotificationRequested]:
        """Move the clock to `instant`, fire what is due; the texts requested meanwhile."""
        before = len(self.sent)
        self.clock.set(instant)
        await self.service.workers[0].run_once()
        return self.sent[before:]

    async def run_until(self, instant: datetime) -> list[tuple[datetime, NotificationRequested]]:
        """Jump from one due timer to the next up to `instant`; each text with when it went."""
        out = []
        while (due := await self.service.context.timers.next_due()) is not None and due <= instant:
            now = max(due, self.clock.now())
            out += [(now, n) for n in await self.at(now)]
        out += [(instant, n) for n in await self.at(max(instant, self.clock.now()))]
        return out

    def keys(self) -> list[str]:
        return [n.dedup_key for n in self.sent]


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    clock = FakeClock(T0)
    redis = fakeredis.FakeAsyncRedis()
    settings = RemindersSettings(redis={"namespace": "unit"}, log={"json_format": False})
    service = build(settings, clock=clock, redis=redis)
    sent: list[NotificationRequested] = []

    @service.runtime.broker.subscriber(topics.NOTIFY_ROUTINE, group_id="collector")
    async def collect(body: dict[str, Any]) -> None:
        event = parse_event(topics.NOTIFY_ROUTINE, body)
        assert isinstance(event, NotificationRequested)
        sent.append(event)

    dead: list[Any] = []

    @service.runtime.broker.subscriber(
        topics.dlq(topics.APPOINTMENTS), topics.dlq(topics.PATIENTS), group_id="dead-letters"
    )
    async def collect_dead(body: Any) -> None:
        dead.append(body)

    async with TestKafkaBroker(service.runtime.broker) as broker:
        yield Harness(service, broker, clock, sent)
    await redis.aclose()
    assert dead == [], "a handler failed and its event was dead-lettered"
