"""A FastStream consumer process that kills itself (SIGKILL) once, after a side effect and before
its offset commit.

    python -m tests.integration.procs.consumer --group G --kill-event EVENT_ID

Kafka and Redis come from the MTM_ environment; it consumes `<prefix>mtm.patients`. Per event_id
it counts deliveries and effects (the effect is written in the same MULTI as the claim
completion) under `<MTM_REDIS__NAMESPACE>:test` (see `ConsumerKeys`). `ready` holds the pid once
the broker runs; `killed` records that the one-time kill happened.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from dataclasses import dataclass

from faststream import FastStream
from redis.asyncio import Redis

from shared import topics
from shared.broker import TransientError, make_broker, subscriber
from shared.events import PatientsEvent
from shared.idempotency import Claims, ClaimState
from shared.logging import configure_logging
from shared.settings import BaseServiceSettings

log = logging.getLogger("mtm.test.consumer")


@dataclass(frozen=True)
class ConsumerKeys:
    """The Redis keys the consumer writes and the tests read."""

    base: str

    @classmethod
    def of(cls, namespace: str) -> ConsumerKeys:
        return cls(topics.redis_prefix(namespace, topics.RedisPrefix.TEST))

    @property
    def deliveries(self) -> str:
        return f"{self.base}:deliveries"

    @property
    def effects(self) -> str:
        return f"{self.base}:effects"

    @property
    def killed(self) -> str:
        return f"{self.base}:killed"

    @property
    def ready(self) -> str:
        return f"{self.base}:ready"


def build(
    settings: BaseServiceSettings, redis: Redis, *, group: str, kill_event: str
) -> FastStream:
    """The app: one subscriber whose handler claims the event_id before its effect."""
    keys = ConsumerKeys.of(settings.redis.namespace)
    claims = Claims(redis, keys.base)
    broker = make_broker(settings, client_id="at-least-once")

    # Static membership: a restarted process takes over its partitions at once instead of
    # waiting for the killed member's session to time out.
    @subscriber(
        broker,
        settings.kafka.topic_prefix + topics.PATIENTS,
        group=group,
        group_instance_id=f"{group}-member",
        session_timeout_ms=10_000,
    )
    async def on_patient_event(event: PatientsEvent) -> None:
        event_id = str(event.event_id)
        await redis.hincrby(keys.deliveries, event_id, 1)
        claim = await claims.claim(f"event:{event_id}", lease_seconds=30)
        if claim.state is ClaimState.IN_PROGRESS:
            raise TransientError("event claimed by another consumer")
        if claim.state is ClaimState.ACQUIRED:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(keys.effects, event_id, 1)
                if not await claims.complete(f"event:{event_id}", pipe=pipe):
                    raise TransientError("claim lost before the effect was written")
                await pipe.execute()
        if event_id == kill_event and await redis.set(keys.killed, event_id, nx=True):
            log.warning("SIGKILL after the effect, before the commit", extra={"event_id": event_id})
            os.kill(os.getpid(), signal.SIGKILL)

    app = FastStream(broker)

    @app.after_startup
    async def ready() -> None:
        await redis.set(keys.ready, os.getpid())

    return app


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", required=True, help="consumer group (unique per test)")
    parser.add_argument("--kill-event", required=True, help="event_id to die on, once")
    opts = parser.parse_args()

    settings = BaseServiceSettings()
    configure_logging(level="WARNING", json_format=True)
    redis = Redis.from_url(settings.redis.url.get_secret_value())
    try:
        await build(settings, redis, group=opts.group, kill_event=opts.kill_event).run()
    finally:
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
