"""Wiring of the gateway: settings, clients, routes, and the order things start and stop in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from starlette.applications import Starlette
from twilio.request_validator import RequestValidator

from services.gateway.endpoints import make_app
from services.gateway.metrics import GatewayMetrics
from services.gateway.readiness import ReadinessMonitor, tcp_reachable
from services.gateway.settings import GatewaySettings
from services.gateway.webhooks import Gateway
from shared.connections import redis_client
from shared.idempotency import Claims
from shared.logging import configure_logging
from shared.runtime import Runtime
from shared.topics import RedisPrefix


def create_app(settings: GatewaySettings | None = None) -> Starlette:
    """The gateway's ASGI app; nothing connects until its lifespan starts."""
    settings = settings or GatewaySettings()
    config = settings.gateway
    configure_logging(
        level=settings.log.level, json_format=settings.log.json_format, redact=settings.log.redact
    )
    # Short socket timeouts: a hung Redis must turn into a 503 before Twilio gives up (15 s).
    redis = redis_client(
        settings.redis,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
        health_check_interval=30,
    )
    rt = Runtime.create(settings, name="gateway", redis=redis)
    metrics = GatewayMetrics()
    monitor = ReadinessMonitor(
        rt.broker,
        rt.redis.ping,
        interval=config.ready_interval_seconds,
        timeout=config.ready_timeout_seconds,
        reachable=tcp_reachable(
            settings.kafka.bootstrap_servers, timeout=config.ready_timeout_seconds
        ),
        observe=lambda name, ok: metrics.ready.labels(name).set(int(ok)),
    )
    gateway = Gateway(
        config=config,
        validator=RequestValidator(settings.twilio.auth_token.get_secret_value()),
        shared_keys={
            key_id: RequestValidator(secret.get_secret_value())
            for key_id, secret in config.webhook_shared_keys.items()
        },
        claims=Claims(
            rt.redis, rt.key_prefix(RedisPrefix.GATEWAY), done_ttl_seconds=config.dedupe_ttl_seconds
        ),
        publisher=rt.bus,
        readiness=monitor,
        metrics=metrics,
        clock=rt.clock,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await monitor.check()  # first connect; if Kafka is down the loop keeps trying
        loop = asyncio.create_task(monitor.run(), name="gateway-readiness")
        try:
            yield
        finally:
            monitor.stop()
            await loop
            await gateway.drain(within=config.publish_timeout_seconds)
            await rt.broker.stop()
            await rt.redis.aclose()

    return make_app(gateway, monitor, metrics, lifespan=lifespan)
