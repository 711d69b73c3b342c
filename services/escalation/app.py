"""Wiring of the escalation service: settings, runtime, context, router, timer workers, upkeep."""

from __future__ import annotations

from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.escalation import handlers
from services.escalation.context import Context
from services.escalation.handlers import make_router
from services.escalation.outbox import Outbox
from services.escalation.settings import EscalationSettings
from services.escalation.state import Store
from services.escalation.timers import ALERT_TIMERS, DIGEST_TIMERS
from services.escalation.upkeep import Upkeep
from shared.clock import Clock
from shared.idempotency import Claims, EventLedger, Once
from shared.runtime import Runtime, Service
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


def build(
    settings: EscalationSettings | None = None,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Service[Context]:
    """Create the clients and wire everything (nothing connects until the app starts).

    The timer and upkeep loops start as soon as the producer is connected, before the consumers
    join their groups: after a crash the dead member holds a group for its session timeout, and
    a due page must not wait for that."""
    settings = settings or EscalationSettings()
    rt = Runtime.create(settings, name="escalation", clock=clock, broker=broker, redis=redis)
    config = settings.escalation
    base = rt.key_prefix(RedisPrefix.ESCALATION)
    alert_timers = Timers(rt.redis, base, ALERT_TIMERS, buckets=64)
    digest_timers = Timers(rt.redis, base, DIGEST_TIMERS, buckets=8)
    ctx = Context(
        config=config,
        store=Store(rt.redis, base, retention_seconds=config.closed_retention_seconds),
        outbox=Outbox(
            rt.redis,
            base,
            bus=rt.bus,
            clock=rt.clock,
            timers={ALERT_TIMERS: alert_timers, DIGEST_TIMERS: digest_timers},
        ),
        once=Once(Claims(rt.redis, base), lease_seconds=config.step_claim_seconds),
        alert_timers=alert_timers,
        digest_timers=digest_timers,
        clock=rt.clock,
        ledger=EventLedger(rt.redis, base),
    )
    rt.include(make_router(ctx, prefix=settings.kafka.topic_prefix))

    def worker(store: Timers, namespace: str) -> TimerWorker:
        # Many attempts: a step must never be given up on; the upkeep loop revives any that is.
        return TimerWorker(
            store,
            partial(handlers.on_timer, ctx, namespace),
            clock=rt.clock,
            lease_seconds=config.timer_lease_seconds,
            poll_seconds=config.timer_poll_seconds,
            max_attempts=100,
            retry_seconds=1,
        )

    alert_worker = rt.timers(worker(alert_timers, ALERT_TIMERS), early=True)
    digest_worker = rt.timers(worker(digest_timers, DIGEST_TIMERS), early=True)
    upkeep = Upkeep(ctx)
    rt.background(upkeep.run, upkeep.stop, early=True)
    return Service(rt, ctx, [alert_worker, digest_worker])


def create_app(settings: EscalationSettings | None = None) -> FastStream:
    """The FastStream app of the escalation service."""
    return build(settings or EscalationSettings()).app()
