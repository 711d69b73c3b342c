"""Wiring of the symptoms service: settings, runtime, state, router."""

from __future__ import annotations

from datetime import timedelta

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.symptoms.alerts import AlertPublisher
from services.symptoms.handlers import Deps, make_router
from services.symptoms.settings import SymptomsSettings
from services.symptoms.state import SymptomState
from shared.clock import Clock
from shared.idempotency import Claims
from shared.runtime import Runtime
from shared.settings import load_settings
from shared.topics import RedisPrefix


def build(
    settings: SymptomsSettings,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Runtime:
    """The runtime with the symptoms router included (nothing connects until it starts)."""
    # `broker` and `redis` let tests and the demo share one in-memory broker or a fake Redis.
    rt = Runtime.create(settings, name="symptoms", clock=clock, broker=broker, redis=redis)
    prefix = rt.key_prefix(RedisPrefix.SYMPTOMS)
    state = SymptomState(rt.redis, prefix)
    rt.include(
        make_router(
            Deps(
                state=state,
                claims=Claims(rt.redis, prefix),
                publisher=AlertPublisher(
                    rt.bus,
                    state,
                    rt.clock,
                    crisis_valid_for=timedelta(hours=settings.symptoms.crisis_text_valid_hours),
                ),
                thresholds=settings.symptoms.thresholds(),
                lease_seconds=settings.symptoms.claim_lease_seconds,
                group_prefix=settings.kafka.topic_prefix,
            )
        )
    )
    return rt


def create_app(settings: SymptomsSettings | None = None) -> FastStream:
    """The FastStream app (`faststream run --factory services.symptoms.app:create_app`)."""
    return build(settings or load_settings(SymptomsSettings)).app()
