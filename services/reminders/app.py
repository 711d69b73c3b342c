"""Wiring of the reminders service: settings, runtime, router, the timer worker."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.reminders.handlers import make_router
from services.reminders.settings import RemindersSettings
from services.reminders.state import Store
from services.reminders.timing import TIMERS_NAMESPACE, Deps, on_timer
from shared.clock import Clock
from shared.idempotency import EventLedger
from shared.runtime import Runtime
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


@dataclass
class Reminders:
    """A built service: its runtime, handler dependencies and timer worker."""

    runtime: Runtime
    deps: Deps
    worker: TimerWorker
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def app(self) -> FastStream:
        app = self.runtime.app()
        app.on_startup(self._start_timers)
        app.on_shutdown(self._stop_timers)
        return app

    async def _start_timers(self) -> None:
        # Not a Runtime background loop, which starts once the consumer has joined its group:
        # after a crash that join waits out the dead member's session, and reminders must not.
        # The worker needs only Redis and the producer, so it starts as soon as they are up.
        await self.runtime.broker.connect()
        self._task = asyncio.create_task(self.worker.run(), name="reminders-timers")

    async def _stop_timers(self) -> None:
        # Before the broker stops, so a firing in progress can still publish.
        self.worker.stop()
        task, self._task = self._task, None
        if task is not None:
            # A firing stuck past the timeout is cancelled; its timer's lease runs out and it
            # fires again (same notification_id).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(task, timeout=10)


def build(
    settings: RemindersSettings | None = None,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Reminders:
    """Everything the service needs; nothing connects until the app starts."""
    settings = settings or RemindersSettings()
    config = settings.reminders
    rt = Runtime.create(settings, name="reminders", clock=clock, broker=broker, redis=redis)
    prefix = rt.key_prefix(RedisPrefix.REMINDERS)
    timers = Timers(rt.redis, prefix, TIMERS_NAMESPACE)
    deps = Deps(
        store=Store(rt.redis, prefix, lock_seconds=config.lock_seconds),
        timers=timers,
        bus=rt.bus,
        clock=rt.clock,
        policy=config.policy(),
        ledger=EventLedger(rt.redis, prefix),
    )
    rt.include(make_router(deps, prefix=settings.kafka.topic_prefix))
    worker = TimerWorker(
        timers,
        partial(on_timer, deps),
        clock=rt.clock,
        lease_seconds=config.timer_lease_seconds,
        poll_seconds=config.timer_poll_seconds,
        max_attempts=config.timer_max_attempts,
        retry_seconds=config.timer_retry_seconds,
    )
    return Reminders(runtime=rt, deps=deps, worker=worker)


def create_app() -> FastStream:
    """`faststream run services.reminders.app:create_app --factory`."""
    return build().app()
