"""Wiring of the dispatcher: settings, runtime, adapters, router, timer worker, reconciler."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from faststream import FastStream
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.dispatcher import handlers
from services.dispatcher.contacts.directory import Directory
from services.dispatcher.context import Context
from services.dispatcher.handlers import make_router
from services.dispatcher.inbound.salvage import salvage
from services.dispatcher.send.limiter import RateLimiter
from services.dispatcher.send.store import SendStore
from services.dispatcher.sender import SmsSender, TwilioSms
from services.dispatcher.settings import DispatcherSettings
from services.dispatcher.status.reconcile import Reconciler
from shared import topics
from shared.broker import group_id
from shared.clock import Clock
from shared.idempotency import EventLedger
from shared.runtime import Runtime, Service
from shared.settings import load_settings
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


def build(
    settings: DispatcherSettings | None = None,
    *,
    sender: SmsSender | None = None,
    clock: Clock | None = None,
    broker: KafkaBroker | None = None,
    redis: Redis | None = None,
) -> Service[Context]:
    """The dispatcher, wired and not started (tests pass a clock, broker, redis or sender of
    their own; without a sender it texts through Twilio, whose session opens with the app)."""
    settings = settings or load_settings(DispatcherSettings)
    s = settings.dispatcher
    rt = Runtime.create(settings, name="dispatcher", clock=clock, broker=broker, redis=redis)
    prefix = rt.key_prefix(RedisPrefix.DISPATCHER)
    if sender is None:
        twilio = TwilioSms(
            account_sid=settings.twilio.account_sid,
            auth_token=settings.twilio.auth_token.get_secret_value(),
            base_url=settings.twilio.base_url,
            timeout_seconds=s.twilio_timeout_seconds,
        )
        rt.on_start(twilio.start)
        rt.on_stop(twilio.close)
        sender = twilio
    ctx = Context(
        settings=s,
        bus=rt.bus,
        clock=rt.clock,
        sender=sender,
        timers=Timers(rt.redis, prefix, "dispatcher"),
        directory=Directory(rt.redis, prefix, timedelta(hours=s.context_ttl_hours)),
        store=SendStore(
            rt.redis, prefix, clock=rt.clock, reconcile_after=s.reconcile_after_seconds
        ),
        limiter=RateLimiter(prefix, per_second=s.rate_per_second),
        ledger=EventLedger(rt.redis, prefix),
        opt_out_mode=settings.twilio.opt_out_mode,
    )
    rt.include(
        make_router(
            ctx,
            routine_workers=s.routine_workers,
            urgent_workers=s.urgent_workers,
            group_prefix=settings.kafka.topic_prefix,
        )
    )
    inbound_group = group_id(
        topics.Groups.DISPATCHER, topics.SMS_INBOUND, prefix=settings.kafka.topic_prefix
    )
    rt.salvage(inbound_group, partial(salvage, ctx))
    worker = rt.timers(TimerWorker(ctx.timers, partial(handlers.on_timer, ctx), clock=rt.clock))
    reconciler = Reconciler(ctx)
    rt.background(reconciler.run, reconciler.stop)
    return Service(rt, ctx, [worker])


def create_app(settings: DispatcherSettings | None = None) -> FastStream:
    """The FastStream app (`faststream run --factory services.dispatcher.app:create_app`)."""
    return build(settings or load_settings(DispatcherSettings)).app()
