"""Wiring of the symptoms service: settings, runtime, context, router, the check-in timer worker."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.symptoms import handlers, timers
from services.symptoms.alerts import AlertPublisher
from services.symptoms.checkin_state import CheckinStore
from services.symptoms.checkins import CheckIns
from services.symptoms.context import Context
from services.symptoms.handlers import make_router, on_invalid_record
from services.symptoms.settings import SymptomsSettings
from services.symptoms.state import SymptomState
from shared import topics
from shared.clock import Clock
from shared.idempotency import Claims, EventLedger, Once
from shared.runtime import Runtime, Service
from shared.settings import load_settings
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


def build(
    settings: SymptomsSettings | None = None,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Service[Context]:
    """Everything the service needs (nothing connects until it starts)."""
    # `broker` and `redis` let tests and the demo share one in-memory broker or a fake Redis.
    settings = settings or load_settings(SymptomsSettings)
    rt = Runtime.create(settings, name="symptoms", clock=clock, broker=broker, redis=redis)
    config = settings.symptoms
    prefix = rt.key_prefix(RedisPrefix.SYMPTOMS)
    state = SymptomState(rt.redis, prefix)
    ctx = Context(
        state=state,
        once=Once(Claims(rt.redis, prefix), lease_seconds=config.claim_lease_seconds),
        publisher=AlertPublisher(
            rt.bus,
            state,
            rt.clock,
            crisis_valid_for=timedelta(hours=config.crisis_text_valid_hours),
        ),
        checkins=CheckIns(
            store=CheckinStore(rt.redis, prefix, lock_seconds=config.claim_lease_seconds),
            timers=Timers(rt.redis, prefix, timers.NAMESPACE),
            bus=rt.bus,
            clock=rt.clock,
            config=config,
        ),
        thresholds=config.thresholds(),
        ledger=EventLedger(rt.redis, prefix),
        clock=rt.clock,
        group_prefix=settings.kafka.topic_prefix,
    )
    rt.include(make_router(ctx))
    rt.salvage(ctx.group(topics.SYMPTOMS), lambda raw: on_invalid_record(ctx, raw))

    fire = partial(handlers.on_timer, ctx)
    worker = rt.timers(TimerWorker(ctx.checkins.timers, fire, clock=rt.clock, poll_seconds=0.5))
    return Service(rt, ctx, [worker])


def create_app(settings: SymptomsSettings | None = None) -> FastStream:
    """The FastStream app (`faststream run --factory services.symptoms.app:create_app`)."""
    return build(settings or load_settings(SymptomsSettings)).app()
