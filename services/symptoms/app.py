"""Wiring of the symptoms service: settings, runtime, state, router, the check-in timer worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.symptoms.alerts import AlertPublisher
from services.symptoms.checkin_state import CheckinStore
from services.symptoms.checkins import TIMERS_NAMESPACE, CheckIns
from services.symptoms.handlers import Deps, make_router, on_invalid_record
from services.symptoms.settings import SymptomsSettings
from services.symptoms.state import SymptomState
from shared import topics
from shared.clock import Clock
from shared.idempotency import Claims, EventLedger
from shared.runtime import Runtime
from shared.settings import load_settings
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


@dataclass
class Symptoms:
    """A built service: the runtime, the check-ins and the worker that fires their timers."""

    runtime: Runtime
    checkins: CheckIns
    worker: TimerWorker


def build_service(
    settings: SymptomsSettings,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Symptoms:
    """Everything the service needs (nothing connects until it starts)."""
    # `broker` and `redis` let tests and the demo share one in-memory broker or a fake Redis.
    rt = Runtime.create(settings, name="symptoms", clock=clock, broker=broker, redis=redis)
    config = settings.symptoms
    prefix = rt.key_prefix(RedisPrefix.SYMPTOMS)
    state = SymptomState(rt.redis, prefix)
    timers = Timers(rt.redis, prefix, TIMERS_NAMESPACE)
    checkins = CheckIns(
        store=CheckinStore(rt.redis, prefix, lock_seconds=config.claim_lease_seconds),
        timers=timers,
        bus=rt.bus,
        clock=rt.clock,
        config=config,
    )
    deps = Deps(
        state=state,
        claims=Claims(rt.redis, prefix),
        publisher=AlertPublisher(
            rt.bus,
            state,
            rt.clock,
            crisis_valid_for=timedelta(hours=config.crisis_text_valid_hours),
        ),
        thresholds=config.thresholds(),
        ledger=EventLedger(rt.redis, prefix),
        lease_seconds=config.claim_lease_seconds,
        group_prefix=settings.kafka.topic_prefix,
        checkins=checkins,
    )
    rt.include(make_router(deps))
    rt.salvage(deps.group(topics.SYMPTOMS), lambda raw: on_invalid_record(deps, raw))
    worker = TimerWorker(timers, checkins.on_timer, clock=rt.clock, poll_seconds=0.5)
    rt.background(worker.run, worker.stop)
    return Symptoms(runtime=rt, checkins=checkins, worker=worker)


def build(
    settings: SymptomsSettings,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Runtime:
    """The runtime with the symptoms router and the timer loop included."""
    return build_service(settings, clock=clock, broker=broker, redis=redis).runtime


def create_app(settings: SymptomsSettings | None = None) -> FastStream:
    """The FastStream app (`faststream run --factory services.symptoms.app:create_app`)."""
    return build(settings or load_settings(SymptomsSettings)).app()
