"""Wiring of the escalation service: settings, runtime, state, outbox, router, timer workers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.escalation.deps import ALERT_TIMERS, DIGEST_TIMERS, Deps
from services.escalation.digest import fire_digest
from services.escalation.handlers import make_router
from services.escalation.outbox import Outbox
from services.escalation.settings import EscalationSettings
from services.escalation.state import Store
from services.escalation.unresolved import fire_alert_timer
from services.escalation.upkeep import Upkeep
from shared.clock import Clock
from shared.idempotency import Claims, EventLedger
from shared.runtime import Runtime
from shared.timers import Handler, Timers, TimerWorker
from shared.topics import RedisPrefix


@dataclass
class Service:
    """The wired service: its runtime, its dependencies and its background workers."""

    rt: Runtime
    deps: Deps
    alert_worker: TimerWorker
    digest_worker: TimerWorker
    upkeep: Upkeep
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start_loops(self) -> None:
        """Connect the producer and start the timer and upkeep loops.

        Runs before the consumers join their group (not after, as `Runtime.background` loops
        do): after a crash the dead member holds the group for its session timeout, and a due
        page must not wait for that."""
        await self.rt.broker.connect()
        for loop in (self.alert_worker, self.digest_worker, self.upkeep):
            self.tasks.append(asyncio.create_task(loop.run(), name=f"escalation-{id(loop)}"))

    async def stop_loops(self) -> None:
        for loop in (self.alert_worker, self.digest_worker, self.upkeep):
            loop.stop()
        for task in self.tasks:
            try:
                await asyncio.wait_for(task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        self.tasks.clear()


def build(
    settings: EscalationSettings,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Service:
    """Create the clients and wire everything (nothing connects until the app starts)."""
    rt = Runtime.create(settings, name="escalation", clock=clock, broker=broker, redis=redis)
    config = settings.escalation
    base = rt.key_prefix(RedisPrefix.ESCALATION)
    alert_timers = Timers(rt.redis, base, ALERT_TIMERS, buckets=64)
    digest_timers = Timers(rt.redis, base, DIGEST_TIMERS, buckets=8)
    deps = Deps(
        config=config,
        store=Store(rt.redis, base, retention_seconds=config.closed_retention_seconds),
        outbox=Outbox(
            rt.redis,
            base,
            bus=rt.bus,
            clock=rt.clock,
            timers={ALERT_TIMERS: alert_timers, DIGEST_TIMERS: digest_timers},
        ),
        claims=Claims(rt.redis, base),
        alert_timers=alert_timers,
        digest_timers=digest_timers,
        clock=rt.clock,
        ledger=EventLedger(rt.redis, base),
    )
    rt.include(make_router(deps, prefix=settings.kafka.topic_prefix))

    def worker(timers: Timers, handler: Handler) -> TimerWorker:
        # Many attempts: a step must never be given up on; the upkeep loop revives any that is.
        return TimerWorker(
            timers,
            handler,
            clock=rt.clock,
            lease_seconds=config.timer_lease_seconds,
            poll_seconds=config.timer_poll_seconds,
            max_attempts=100,
            retry_seconds=1,
        )

    service = Service(
        rt=rt,
        deps=deps,
        alert_worker=worker(alert_timers, partial(fire_alert_timer, deps)),
        digest_worker=worker(digest_timers, partial(fire_digest, deps)),
        upkeep=Upkeep(deps),
    )
    return service


def create_app(settings: EscalationSettings | None = None) -> FastStream:
    """The FastStream app of the escalation service."""
    service = build(settings or EscalationSettings())
    app = service.rt.app()
    app.on_startup(service.start_loops)
    app.on_shutdown(service.stop_loops)
    return app
