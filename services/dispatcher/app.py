"""Wiring of the dispatcher: settings, runtime, adapters, router, timer worker, reconciler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faststream import FastStream

from services.dispatcher.directory import Directory
from services.dispatcher.handlers import Handlers, make_router
from services.dispatcher.limiter import RateLimiter
from services.dispatcher.reconcile import Reconciler
from services.dispatcher.salvage import salvage
from services.dispatcher.sender import SmsSender, TwilioSms
from services.dispatcher.service import Service
from services.dispatcher.settings import DispatcherSettings
from services.dispatcher.store import SendStore
from shared import topics
from shared.broker import group_id
from shared.idempotency import EventLedger
from shared.runtime import Runtime
from shared.settings import load_settings
from shared.timers import Timers, TimerWorker
from shared.topics import RedisPrefix


def build(
    settings: DispatcherSettings | None = None, *, sender: SmsSender | None = None, **runtime: Any
) -> tuple[Runtime, Handlers]:
    """The runtime and handlers (tests pass a clock, broker, redis or sender of their own)."""
    settings = settings or load_settings(DispatcherSettings)
    s = settings.dispatcher
    rt = Runtime.create(settings, name="dispatcher", **runtime)
    prefix = rt.key_prefix(RedisPrefix.DISPATCHER)
    twilio = sender or TwilioSms(
        account_sid=settings.twilio.account_sid,
        auth_token=settings.twilio.auth_token.get_secret_value(),
        base_url=settings.twilio.base_url,
        timeout_seconds=s.twilio_timeout_seconds,
    )
    timers = Timers(rt.redis, prefix, "dispatcher")
    svc = Service(
        settings=s,
        bus=rt.bus,
        clock=rt.clock,
        sender=twilio,
        timers=timers,
        directory=Directory(rt.redis, prefix, timedelta(hours=s.context_ttl_hours)),
        store=SendStore(
            rt.redis, prefix, clock=rt.clock, reconcile_after=s.reconcile_after_seconds
        ),
        limiter=RateLimiter(prefix, per_second=s.rate_per_second),
        ledger=EventLedger(rt.redis, prefix),
    )
    handlers = Handlers(svc)
    rt.include(
        make_router(
            handlers,
            routine_workers=s.routine_workers,
            urgent_workers=s.urgent_workers,
            group_prefix=settings.kafka.topic_prefix,
        )
    )
    inbound_group = group_id(
        topics.Groups.DISPATCHER, topics.SMS_INBOUND, prefix=settings.kafka.topic_prefix
    )
    rt.salvage(inbound_group, lambda raw: salvage(handlers.inbound, raw))
    worker = handlers.worker = TimerWorker(timers, handlers.on_timer, clock=rt.clock)
    rt.background(worker.run, worker.stop)
    reconciler = Reconciler(svc, handlers.status)
    rt.background(reconciler.run, reconciler.stop)
    return rt, handlers


def create_app(settings: DispatcherSettings | None = None, **kwargs: Any) -> FastStream:
    """The FastStream app (`faststream run --factory services.dispatcher.app:create_app`)."""
    return make_app(*build(settings, **kwargs))


def make_app(rt: Runtime, handlers: Handlers) -> FastStream:
    """The app of a built runtime: the Twilio session opens and closes with it."""
    app = rt.app()
    sender = handlers.svc.sender
    if isinstance(sender, TwilioSms):
        app.on_startup(sender.start)
        app.after_shutdown(sender.close)
    return app
