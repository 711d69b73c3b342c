"""The six services wired as in production, on one in-memory broker, one in-memory Redis, one
fake clock and the dispatcher's fake SMS transport; time moves only when the script says so.

Each service is built by its own `build()` with its default settings (read from nothing but the
defaults, so the environment and `.env` cannot change the run). The broker is FastStream's
in-memory one: a publish runs every subscriber of the topic before it returns. The timer workers
never run as background loops; after every step the clock jumps from one due timer to the next
and each worker fires what is due (`run_once`), so a run is the same every time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

import fakeredis
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from demo.edge import Edge
from demo.fake_sms import FakeSms
from demo.steps import Inbound
from services.adherence.app import build as build_adherence
from services.adherence.settings import AdherenceSettings
from services.dispatcher.app import build as build_dispatcher
from services.dispatcher.settings import DispatcherSettings
from services.escalation.app import build as build_escalation
from services.escalation.settings import EscalationSettings
from services.gateway.settings import GatewaySettings
from services.reminders.app import build as build_reminders
from services.reminders.settings import RemindersSettings
from services.symptoms.app import build as build_symptoms
from services.symptoms.settings import SymptomsSettings
from shared.broker import EventBus, make_broker
from shared.clock import FakeClock
from shared.events import Event, topic_for
from shared.runtime import Service
from shared.timers import TimerWorker

S = TypeVar("S", bound=BaseSettings)

MAX_ROUNDS = 1000
"""Timer rounds at one instant before the run is declared stuck (a timer re-arming for now)."""


def defaults_only(cls: type[S], **values: Any) -> S:
    """Settings from `values` and the class defaults only: no environment, no `.env`."""

    def sources(
        _owner: type[BaseSettings],
        _settings_cls: type[BaseSettings],
        *,
        init_settings: PydanticBaseSettingsSource,
        **_others: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    hermetic = type(cls.__name__, (cls,), {"settings_customise_sources": classmethod(sources)})
    return cast(S, hermetic(**values))


class Failures(logging.Handler):
    """Counts ERROR records: a handler that raised, a dead letter, a timer that failed."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Network:
    """What the script drives: publish events, move the clock, fire due timers."""

    broker: KafkaBroker
    clock: FakeClock
    sms: FakeSms
    workers: list[TimerWorker]
    edge: Edge
    failures: Failures = field(default_factory=Failures)
    receipted: int = 0

    async def publish(self, event: Event) -> None:
        """Publish as the clinic systems (or the gateway) would: keyed, on the event's topic."""
        await self.broker.publish(
            event.model_dump(mode="json"),
            topic=topic_for(event),
            key=event.kafka_key(),
            correlation_id=event.correlation_id or str(event.event_id),
        )
        await self.settle()

    async def text(self, sms: Inbound) -> None:
        """A text arrives at the gateway as Twilio's signed webhook."""
        await self.edge.text(sms)
        await self.settle()

    async def settle(self) -> None:
        """Fire every timer due now until none is (a firing may arm another one for now), and
        let the carrier report every new text delivered (status callbacks to the gateway)."""
        for _ in range(MAX_ROUNDS):
            fired = 0
            for worker in self.workers:
                fired += await worker.run_once()
            if fired:
                continue
            receipts = self.sms.sent[self.receipted :]
            if not receipts:
                return
            self.receipted += len(receipts)
            for message in receipts:
                await self.edge.receipt(message["sid"])
        raise RuntimeError(f"timers keep coming due at {self.clock.now().isoformat()}")

    async def next_due(self) -> datetime | None:
        dues = [d for w in self.workers if (d := await w.timers.next_due()) is not None]
        return min(dues) if dues else None

    async def run_until(self, instant: datetime) -> None:
        """Move the clock to `instant`, stopping at every due timer on the way."""
        while (due := await self.next_due()) is not None and due <= instant:
            self.clock.set(max(due, self.clock.now()))
            await self.settle()
        self.clock.set(max(instant, self.clock.now()))
        await self.settle()


@asynccontextmanager
async def network(
    *,
    clock: FakeClock,
    sms: FakeSms,
    watch: Callable[[KafkaBroker], None],
    namespace: str = "demo",
) -> AsyncIterator[Network]:
    """The five routers on one in-memory broker and the gateway's webhooks, on a fake clock,
    texting through `sms`; `watch` adds its subscribers (the timeline) before the broker starts.

    The gateway is an HTTP service, not a router: texts reach it as signed webhooks (`Edge`)."""
    server = fakeredis.FakeServer()
    common: dict[str, Any] = {"redis": {"namespace": namespace}}
    broker = make_broker(defaults_only(DispatcherSettings, **common), client_id="demo")
    clients: list[Any] = []

    def redis() -> Any:
        client = fakeredis.FakeAsyncRedis(server=server)
        clients.append(client)
        return client

    built: list[Service[Any]] = [
        build_dispatcher(
            # The demo's SMS transport answers no keyword itself, so the dispatcher answers
            # them all: an Advanced Opt-Out account whose webhook names no OptOutType.
            defaults_only(DispatcherSettings, **common, twilio={"opt_out_mode": "advanced"}),
            sender=sms,
            clock=clock,
            broker=broker,
            redis=redis(),
        ),
        build_reminders(
            defaults_only(RemindersSettings, **common), clock=clock, broker=broker, redis=redis()
        ),
        build_adherence(
            defaults_only(AdherenceSettings, **common), clock=clock, broker=broker, redis=redis()
        ),
        build_symptoms(
            defaults_only(SymptomsSettings, **common), clock=clock, broker=broker, redis=redis()
        ),
        build_escalation(
            defaults_only(EscalationSettings, **common), clock=clock, broker=broker, redis=redis()
        ),
    ]
    workers = [worker for service in built for worker in service.workers]
    for worker in workers:
        # One timer at a time, earliest first: firings never interleave, so the order of what
        # happens never depends on how the event loop schedules them.
        worker.batch = 1
    watch(broker)
    gateway = defaults_only(GatewaySettings, **common)
    edge = Edge(gateway, bus=EventBus(broker), redis=redis(), clock=clock)
    net = Network(broker=broker, clock=clock, sms=sms, workers=workers, edge=edge)
    root = logging.getLogger()
    root.addHandler(net.failures)
    try:
        async with TestKafkaBroker(broker) as in_memory:
            net.broker = in_memory
            yield net
    finally:
        root.removeHandler(net.failures)
        await edge.close()
        for client in clients:
            await client.aclose()
