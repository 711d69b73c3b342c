"""Run the dispatcher in-process against the real Kafka and Redis and the fake Twilio."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from services.dispatcher.app import build
from services.dispatcher.context import Context
from services.dispatcher.settings import DispatcherSettings
from shared.admin import project_topics
from shared.clock import Clock, FakeClock
from shared.events import Event, NotificationRequested, parse_event, topic_for
from tests.kafka_tools import eventually, read_topic


async def drop_topics(kafka: str, prefix: str) -> None:
    """Delete one test's topics: each test makes 66 partitions, and a broker that keeps them all
    runs out of file descriptors on a long day of test runs."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [t for t in project_topics(prefix) if t in existing]
        if doomed:
            await admin.delete_topics(doomed)
    except KafkaError:
        pass  # best effort: never fail a test over its cleanup
    finally:
        await admin.close()


def dispatcher_settings(
    *, kafka: str, prefix: str, redis_url: str, namespace: str, fake: FakeTwilio, **dispatcher: Any
) -> DispatcherSettings:
    """Settings for one test: its own topics and keys, Twilio = the fake, fast retries."""
    return DispatcherSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": redis_url, "namespace": namespace},
        twilio={
            "account_sid": DEFAULT_ACCOUNT_SID,
            "auth_token": DEFAULT_AUTH_TOKEN,
            "base_url": fake.base_url,
        },
        log={"level": "WARNING"},
        dispatcher={
            "backoff_base_seconds": 0.05,
            "backoff_max_seconds": 0.2,
            "ambiguous_settle_seconds": 0.1,
            "twilio_timeout_seconds": 5.0,
            "rate_per_second": 200.0,
            **dispatcher,
        },
    )


@asynccontextmanager
async def running(
    settings: DispatcherSettings, *, clock: Clock | None = None
) -> AsyncIterator[Context]:
    """The dispatcher app, started in this event loop, stopped at the end."""
    service = build(settings, clock=clock)
    app = service.app()
    async with app.lifespan_context():
        await app.start()
        try:
            yield service.context
        finally:
            await app.stop()
            if isinstance(clock, FakeClock):
                # The timer worker sleeps on the fake clock: stop it, then wake it to see that.
                for worker in service.workers:
                    worker.stop()
                clock.advance(1)


def topic_of(event: Event) -> str:
    if isinstance(event, NotificationRequested) and event.priority == "urgent":
        return "mtm.notify.urgent"
    return topic_for(event)


@asynccontextmanager
async def producer(kafka: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, linger_ms=5)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def publish(kafka: str, prefix: str, *events: Event) -> None:
    """Publish events as a foreign producer would: JSON bodies keyed like the project's bus."""
    async with producer(kafka) as p:
        futures = [
            await p.send(prefix + topic_of(e), e.model_dump_json().encode(), key=e.kafka_key())
            for e in events
        ]
        await p.flush()
        for f in futures:
            await f


async def events_on(
    kafka: str,
    prefix: str,
    topic: str,
    until: Callable[[list[Event]], bool],
    *,
    timeout: float = 30,
) -> list[Event]:
    """Events of a topic (parsed), read from the start until `until(events)` holds."""

    def parsed(records: list[Any]) -> list[Event]:
        return [parse_event(topic, json.loads(r.value)) for r in records]

    records = await read_topic(
        kafka, prefix + topic, until=lambda rs: until(parsed(rs)), timeout=timeout
    )
    return parsed(records)


async def known(ctx: Context, kind: str, *ids: str) -> None:
    """Wait until the directory has materialized these contacts."""

    async def check() -> bool:
        return all([await ctx.directory.get(kind, i) is not None for i in ids])

    await eventually(check, timeout=30, interval=0.02, message=f"{kind} {ids} in the directory")


def to_number(fake: FakeTwilio, phone: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages if m["to"] == phone]
