"""Wiring of the reminders service: settings, runtime, context, router, the timer worker."""

from __future__ import annotations

from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.reminders.context import Context
from services.reminders.handlers import make_router, on_timer
from services.reminders.settings import RemindersSettings
from services.reminders.state import EVENT_MARKER_TTL, Store
from services.reminders.timers import TIMERS_NAMESPACE
from shared.clock import Clock
from shared.idempotency import Claims, EventLedger, Once
from shared.runtime import Runtime, Service
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


def build(
    settings: RemindersSettings | None = None,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Service[Context]:
    """Everything the service needs; nothing connects until the app starts."""
    settings = settings or RemindersSettings()
    config = settings.reminders
    rt = Runtime.create(settings, name="reminders", clock=clock, broker=broker, redis=redis)
    prefix = rt.key_prefix(RedisPrefix.REMINDERS)
    ctx = Context(
        store=Store(rt.redis, prefix, lock_seconds=config.lock_seconds),
        timers=Timers(rt.redis, prefix, TIMERS_NAMESPACE),
        bus=rt.bus,
        clock=rt.clock,
        policy=config.policy(),
        ledger=EventLedger(rt.redis, prefix),
        sent=Once(Claims(rt.redis, prefix), lease_seconds=config.lock_seconds),
        handled=Once(Claims(rt.redis, prefix, done_ttl_seconds=EVENT_MARKER_TTL)),
    )
    rt.include(make_router(ctx, prefix=settings.kafka.topic_prefix))
    # Early: the worker needs only Redis and the producer, and after a crash the consumers'
    # rejoin waits out the dead member's session; reminders must not.
    worker = TimerWorker(
        ctx.timers,
        partial(on_timer, ctx),
        clock=rt.clock,
        lease_seconds=config.timer_lease_seconds,
        poll_seconds=config.timer_poll_seconds,
        max_attempts=config.timer_max_attempts,
        retry_seconds=config.timer_retry_seconds,
    )
    return Service(rt, ctx, [rt.timers(worker, early=True)])


def create_app(settings: RemindersSettings | None = None) -> FastStream:
    """`faststream run services.reminders.app:create_app --factory`."""
    return build(settings or RemindersSettings()).app()
