"""The escalation service on FastStream's in-memory broker, fakeredis and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import fakeredis
import pytest
from faststream.kafka import TestKafkaBroker

from services.escalation.app import build
from services.escalation.context import Context
from services.escalation.settings import EscalationSettings
from shared import topics
from shared.broker import make_broker
from shared.clock import FakeClock
from shared.events import (
    AlertAcknowledged,
    ClinicalAlertRaised,
    ClinicianRegistered,
    Event,
    NotificationRequested,
    RosterPublished,
    parse_event,
    topic_for,
)
from shared.runtime import Service

# Tue 2026-03-10 04:00Z = Mon 23:00 CDT in Austin: the night shift is on call.
T0 = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
WATCHED = (topics.ALERTS, topics.NOTIFY_URGENT, topics.NOTIFY_ROUTINE)
PRIMARY, BACKUP, DIRECTOR = "c-primary", "c-backup", "c-director"


def roster(
    site_id: str = "austin",
    *,
    primary: str = PRIMARY,
    backup: str | None = BACKUP,
    director: str | None = DIRECTOR,
    days: int = 10,
    **extra: Any,
) -> RosterPublished:
    """Back-to-back 12-hour shifts from 2026-03-08 for `days` days, all with the same people."""
    start = datetime(2026, 3, 8)
    shifts = []
    for i in range(days * 2):
        a, b = start + timedelta(hours=12 * i), start + timedelta(hours=12 * (i + 1))
        shifts.append(
            {
                "start_local": f"{a:%Y-%m-%dT%H:%M}",
                "end_local": f"{b:%Y-%m-%dT%H:%M}",
                "primary_id": primary,
                "backup_id": backup,
            }
        )
    fields: dict[str, Any] = {
        "site_id": site_id,
        "roster_id": f"r-{site_id}",
        "zone": "America/Chicago",
        "shifts": shifts,
        "director_id": director,
        **extra,
    }
    return RosterPublished(**fields)


def alert(alert_id: str = "al-1", severity: str = "P0", **extra: Any) -> ClinicalAlertRaised:
    fields: dict[str, Any] = {
        "patient_id": "p-1",
        "site_id": "austin",
        "alert_id": alert_id,
        "severity": severity,
        "rule_id": "SYM-CSSRS-Q4",
        "dedup_key": "p-1:SYM-CSSRS-Q4",
        "source": "symptoms",
        **extra,
    }
    return ClinicalAlertRaised(**fields)


@dataclass
class Harness:
    """Publish events, move time, fire due timers, read what the service published."""

    service: Service[Context]
    broker: Any
    clock: FakeClock
    redis: Any
    published: dict[str, list[Event]] = field(default_factory=dict)
    dead: list[Any] = field(default_factory=list)

    async def publish(self, event: Event) -> None:
        event = event.model_copy(update={"occurred_at": self.clock.now()})
        await self.broker.publish(
            event.model_dump(mode="json"), topic=topic_for(event), key=event.kafka_key()
        )

    @property
    def ctx(self) -> Context:
        return self.service.context

    async def fire(self) -> int:
        """Fire every timer due now, until none is (a step may schedule the next one at once)."""
        total = 0
        while n := sum([await worker.run_once() for worker in self.service.workers]):
            total += n
        return total

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.fire()

    def events(self, cls: type[Event]) -> list[Any]:
        return [e for evs in self.published.values() for e in evs if isinstance(e, cls)]

    def pages(self) -> list[NotificationRequested]:
        return [n for n in self.events(NotificationRequested) if n.template_id == "clinician_page"]

    def paged(self) -> list[str]:
        return [n.recipient.id for n in self.pages()]

    def mine(self, cls: type[Event]) -> list[Any]:
        return [e for e in self.events(cls) if e.source == "escalation"]

    async def start(self, *, with_roster: bool = True) -> None:
        staff: tuple[tuple[str, Literal["psychiatrist", "nurse_practitioner", "director"]], ...]
        staff = ((PRIMARY, "psychiatrist"), (BACKUP, "nurse_practitioner"), (DIRECTOR, "director"))
        for cid, role in staff:
            await self.publish(
                ClinicianRegistered(
                    clinician_id=cid, phone="+15125550188", display_name="Dr. Example", role=role
                )
            )
        if with_roster:
            await self.publish(roster())

    async def ack(self, code: str, clinician_id: str, **extra: Any) -> None:
        await self.publish(
            AlertAcknowledged(code=code, clinician_id=clinician_id, source="dispatcher", **extra)
        )


def make_settings(**escalation: Any) -> EscalationSettings:
    return EscalationSettings(
        kafka={"retry_backoff_seconds": 0.001},
        redis={"namespace": "unit"},
        log={"json_format": False},
        escalation=escalation,
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> EscalationSettings:
    """Test settings; `@pytest.mark.parametrize("settings", [{...}], indirect=True)` overrides."""
    return make_settings(**getattr(request, "param", {}))


@asynccontextmanager
async def make_harness(settings: EscalationSettings, clock: FakeClock) -> AsyncIterator[Harness]:
    """The service on an in-memory broker and a fresh fakeredis (also for hypothesis examples,
    which cannot share a function-scoped fixture)."""
    redis = fakeredis.FakeAsyncRedis()
    broker = make_broker(settings, client_id="unit")
    service = build(settings, clock=clock, redis=redis, broker=broker)
    harness = Harness(service, broker, clock, redis)
    for topic in WATCHED:

        def collect(topic: str = topic) -> Any:
            async def on_event(body: dict[str, Any]) -> None:
                harness.published.setdefault(topic, []).append(parse_event(topic, body))

            return on_event

        broker.subscriber(topic, group_id=f"watch-{topic}")(collect())

    @broker.subscriber(
        *(topics.dlq(t) for t in (topics.ALERTS, topics.CLINICIANS, topics.NOTIFY_STATUS)),
        group_id="dead",
    )
    async def collect_dead(body: Any) -> None:
        harness.dead.append(body)

    async with TestKafkaBroker(broker) as br:
        harness.broker = br
        yield harness
    await redis.aclose()
    assert harness.dead == [], "a handler failed and its event was dead-lettered"


@pytest.fixture
async def h(settings: EscalationSettings) -> AsyncIterator[Harness]:
    async with make_harness(settings, FakeClock(T0)) as harness:
        yield harness
