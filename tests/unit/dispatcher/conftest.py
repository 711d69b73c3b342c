"""The dispatcher on FastStream's in-memory broker, fakeredis, a fake clock and FakeSms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

import fakeredis
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from demo.fake_sms import FakeSms
from services.dispatcher.app import build
from services.dispatcher.context import Context
from services.dispatcher.settings import DispatcherSettings
from shared import topics
from shared.broker import make_broker
from shared.clock import FakeClock
from shared.events import (
    Event,
    InboundSmsReceived,
    NotificationRequested,
    PatientEnrolled,
    parse_event,
)
from shared.timers import TimerWorker

# Tue 2026-03-10 11:00 in Austin (CDT): inside the default allowed hours everywhere in the US.
NOON = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
PHONE = "+15125550143"
OTHER_PHONE = "+15125550177"
AUSTIN_NUMBER = "+15125550100"

WATCHED = (
    topics.NOTIFY_STATUS,
    topics.PATIENTS,
    topics.MEDICATIONS,
    topics.APPOINTMENTS,
    topics.ALERTS,
    topics.SYMPTOMS,
    topics.NOTIFY_URGENT,
)


@dataclass
class Harness:
    broker: KafkaBroker
    ctx: Context
    worker: TimerWorker
    sms: FakeSms
    clock: FakeClock
    redis: Any
    published: dict[str, list[Event]] = field(default_factory=dict)

    async def publish(self, event: Event) -> None:
        topic = (
            topics.NOTIFY_URGENT
            if isinstance(event, NotificationRequested) and event.priority == "urgent"
            else None
        )
        from shared.events import topic_for

        await self.broker.publish(
            event.model_dump(mode="json"), topic or topic_for(event), key=event.kafka_key()
        )

    def events(self, cls: type[Event]) -> list[Any]:
        return [e for evs in self.published.values() for e in evs if isinstance(e, cls)]

    async def fire_timers(self) -> int:
        return await self.worker.run_once()

    async def enroll(self, patient_id: str = "p-1", **overrides: Any) -> PatientEnrolled:
        fields: dict[str, Any] = {
            "patient_id": patient_id,
            "site_id": "austin",
            "phone": PHONE,
            "zone": "America/Chicago",
            "language": "en",
            "consents": ["appointments", "medications", "checkins"],
            **overrides,
        }
        event = PatientEnrolled(**fields)
        await self.publish(event)
        return event

    async def text(
        self,
        body: str,
        *,
        from_phone: str = PHONE,
        sid: str | None = None,
        to_phone: str = AUSTIN_NUMBER,
        opt_out_type: Literal["STOP", "START", "HELP"] | None = None,
    ) -> InboundSmsReceived:
        event = InboundSmsReceived(
            opt_out_type=opt_out_type,
            message_sid=sid or "SM" + uuid4().hex,
            from_phone=from_phone,
            to_phone=to_phone,
            body=body,
            received_at=self.clock.now(),
        )
        await self.publish(event)
        return event


def request(**overrides: Any) -> NotificationRequested:
    """A dose reminder for p-1 (patient-chosen time) unless overridden."""
    fields: dict[str, Any] = {
        "notification_id": uuid4(),
        "patient_id": "p-1",
        "site_id": "austin",
        "recipient": {"kind": "patient", "id": "p-1"},
        "template_id": "dose_reminder",
        "variables": {"time": "08:00"},
        "category": "dose_reminder",
        "dedup_key": f"dose:plan-1:{uuid4().hex[:8]}",
        "patient_chosen_time": True,
        "reply_context": {
            "kind": "dose",
            "ref": "plan-1:2026-03-10:08:00",
            "extra": {"plan_id": "plan-1"},
        },
        "occurred_at": NOON,
    }
    fields.update(overrides)
    return NotificationRequested(**fields)


def make_settings(**dispatcher: Any) -> DispatcherSettings:
    return DispatcherSettings(
        kafka={"retry_backoff_seconds": 0.001},
        redis={"namespace": "unit"},
        dispatcher={
            "backoff_base_seconds": 0.001,
            "backoff_max_seconds": 0.002,
            "ambiguous_settle_seconds": 0.0,
            "rate_per_second": 1000.0,
            **dispatcher,
        },
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> DispatcherSettings:
    """Test settings; `@pytest.mark.parametrize("settings", [{...}], indirect=True)` overrides."""
    return make_settings(**getattr(request, "param", {}))


@pytest.fixture
async def harness(settings: DispatcherSettings) -> AsyncIterator[Harness]:
    redis = fakeredis.FakeAsyncRedis()
    clock = FakeClock(NOON)
    sms = FakeSms()
    broker = make_broker(settings, client_id="unit")
    service = build(settings, sender=sms, clock=clock, redis=redis, broker=broker)
    [worker] = service.workers
    # FakeSms answers no keyword itself: as an account with Advanced Opt-Out whose webhook named
    # no OptOutType, every keyword is the dispatcher's. test_twilio_opt_out.py sets it back to
    # Twilio's default handling.
    service.context.opt_out_mode = "advanced"
    h = Harness(
        broker=broker, ctx=service.context, worker=worker, sms=sms, clock=clock, redis=redis
    )
    for topic in WATCHED:

        def collect(topic: str = topic) -> Any:
            async def on_event(body: dict[str, Any]) -> None:
                h.published.setdefault(topic, []).append(parse_event(topic, body))

            return on_event

        broker.subscriber(topic, group_id=f"watch-{topic}")(collect())
    async with TestKafkaBroker(broker) as br:
        h.broker = br
        yield h
    await redis.aclose()
