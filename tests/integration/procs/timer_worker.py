"""A timer worker process whose handler claims each timer key and records one effect per key.

    python -m tests.integration.procs.timer_worker --timers NAME --worker ID [--lease S] ...

Redis comes from MTM_REDIS__URL; every key lives under `<MTM_REDIS__NAMESPACE>:test` (see
`WorkerKeys`). Per timer key it counts raw firings, effects (written in the same MULTI as the claim
completion) and firings per worker; `ready:<worker>` holds the pid once the worker loop runs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from dataclasses import dataclass

from redis.asyncio import Redis

from shared import topics
from shared.idempotency import Claims, ClaimState
from shared.logging import configure_logging
from shared.settings import BaseServiceSettings
from shared.timers import Handler, Timer, Timers, TimerWorker

log = logging.getLogger("mtm.test.timer_worker")


class ClaimBusy(RuntimeError):
    """Another (possibly dead) worker still holds the claim; the timer is retried later."""


class ClaimLost(RuntimeError):
    """The claim moved to another owner before the effect was written; nothing was written."""


@dataclass(frozen=True)
class WorkerKeys:
    """The Redis keys the worker writes and the tests read."""

    base: str

    @classmethod
    def of(cls, namespace: str) -> WorkerKeys:
        return cls(topics.redis_prefix(namespace, topics.RedisPrefix.TEST))

    @property
    def firings(self) -> str:
        return f"{self.base}:firings"

    @property
    def effects(self) -> str:
        return f"{self.base}:effects"

    def by_worker(self, worker: str) -> str:
        return f"{self.base}:firings:{worker}"

    def ready(self, worker: str) -> str:
        return f"{self.base}:ready:{worker}"


def effect_handler(
    redis: Redis, claims: Claims, keys: WorkerKeys, worker: str, *, claim_lease: float
) -> Handler:
    """Claim the timer key, then write the effect and the completion in one MULTI."""

    async def handle(timer: Timer) -> None:
        async with redis.pipeline(transaction=False) as counts:
            counts.hincrby(keys.firings, timer.key, 1)
            counts.hincrby(keys.by_worker(worker), timer.key, 1)
            await counts.execute()
        claim = await claims.claim(timer.key, lease_seconds=claim_lease)
        if claim.state is ClaimState.DONE:
            return
        if claim.state is ClaimState.IN_PROGRESS:
            raise ClaimBusy(timer.key)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(keys.effects, timer.key, 1)
            if not await claims.complete(timer.key, pipe=pipe):
                raise ClaimLost(timer.key)
            await pipe.execute()

    return handle


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timers", required=True, help="timer namespace name")
    parser.add_argument("--worker", required=True, help="worker id for the per-worker counts")
    parser.add_argument("--lease", type=float, default=2.0, help="timer lease, seconds")
    parser.add_argument("--claim-lease", type=float, default=2.0, help="claim lease, seconds")
    parser.add_argument("--retry", type=float, default=0.2, help="first retry delay, seconds")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    opts = parser.parse_args()

    settings = BaseServiceSettings()
    configure_logging(level="WARNING", json_format=True)
    redis = Redis.from_url(settings.redis.url.get_secret_value())
    keys = WorkerKeys.of(settings.redis.namespace)
    timers = Timers(redis, keys.base, opts.timers)
    claims = Claims(redis, keys.base)
    worker = TimerWorker(
        timers,
        effect_handler(redis, claims, keys, opts.worker, claim_lease=opts.claim_lease),
        batch=opts.batch,
        concurrency=opts.concurrency,
        lease_seconds=opts.lease,
        retry_seconds=opts.retry,
        max_attempts=20,
    )
    await redis.set(keys.ready(opts.worker), os.getpid())
    log.warning("timer worker running", extra={"worker": opts.worker, "pid": os.getpid()})
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
