"""Wiring of the adherence service: settings, clients, its Context, the router, and the dose
timer worker (a background loop of the shared runtime)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.adherence.clock import ScaledClock
from services.adherence.context import Context
from services.adherence.handlers import make_router, on_timer
from services.adherence.settings import AdherenceSettings, SimClockSettings
from services.adherence.state import State
from shared.clock import Clock, SystemClock
from shared.idempotency import Claims, EventLedger, Once
from shared.runtime import Runtime, Service
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix

CLAIM_MEMORY_SECONDS = 7 * 24 * 3600
"""How long a sent prompt or a handled event is remembered (far beyond any redelivery)."""
ALERT_MEMORY_SECONDS = 400 * 24 * 3600
"""How long a raised alert's episode is remembered (an episode can stay open for months)."""


def make_clock(sim: SimClockSettings) -> Clock:
    """The system clock, or scaled time when MTM_ADHERENCE__SIM__* asks for it."""
    if not sim.active:
        return SystemClock()
    # START alone means "service time is START when the process starts" (an anchor defaulting
    # to START itself would make START alone change nothing).
    now = datetime.now(UTC)
    return ScaledClock(scale=sim.scale, start=sim.start or now, anchor=sim.anchor or now)


def build(
    settings: AdherenceSettings | None = None,
    *,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Service[Context]:
    """The service: the router included and the dose timer worker as a background loop."""
    settings = settings or AdherenceSettings()
    cfg = settings.adherence
    rt = Runtime.create(
        settings, name="adherence", clock=clock or make_clock(cfg.sim), redis=redis, broker=broker
    )
    prefix = rt.key_prefix(RedisPrefix.ADHERENCE)
    claims = Claims(rt.redis, prefix, done_ttl_seconds=CLAIM_MEMORY_SECONDS)
    alert_claims = Claims(rt.redis, f"{prefix}:alerts", done_ttl_seconds=ALERT_MEMORY_SECONDS)
    ctx = Context(
        state=State(rt.redis, prefix, clock=rt.clock, retention_days=cfg.retention_days),
        timers=Timers(rt.redis, prefix, "doses", buckets=cfg.timer_buckets),
        once=Once(claims, lease_seconds=cfg.claim_lease_seconds),
        alert_once=Once(alert_claims, lease_seconds=cfg.claim_lease_seconds),
        bus=rt.bus,
        clock=rt.clock,
        ledger=EventLedger(rt.redis, prefix),
        config=cfg.to_config(),
    )
    rt.include(make_router(ctx, prefix=settings.kafka.topic_prefix))
    # Timer leases and waits are measured on the service clock: scale the real-time settings.
    scale = cfg.sim.scale
    worker = TimerWorker(
        ctx.timers,
        partial(on_timer, ctx),
        clock=rt.clock,
        lease_seconds=cfg.timer_lease_seconds * scale,
        poll_seconds=cfg.timer_poll_seconds * scale,
        max_attempts=cfg.timer_max_attempts,
        retry_seconds=cfg.timer_retry_seconds * scale,
    )
    return Service(rt, ctx, [rt.timers(worker)])


def create_app(settings: AdherenceSettings | None = None) -> FastStream:
    """The FastStream app; nothing connects until it starts."""
    return build(settings or AdherenceSettings()).app()
