"""A timer worker process for the timer-scale scenario: the project's TimerWorker with a
handler that does nothing, so what is measured is claiming, firing and completing.

    python -m bench.timer_worker --redis URL --prefix P --namespace N --at-ms MS

It connects, prints "ready", waits for a line on stdin, fires every timer due at the fake
instant `--at-ms` (run_once: claim batches until none is due), prints one JSON line with what
it fired and when, and exits."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime

from redis.asyncio import Redis

from shared.clock import FakeClock
from shared.timers import Timer, Timers, TimerWorker


async def nothing(timer: Timer) -> None:
    """The handler: no work of its own."""


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--at-ms", type=int, required=True)
    opts = parser.parse_args()
    redis = Redis.from_url(opts.redis)
    clock = FakeClock(datetime.fromtimestamp(opts.at_ms / 1000, UTC))
    worker = TimerWorker(Timers(redis, opts.prefix, opts.namespace), nothing, clock=clock)
    await redis.ping()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.time()
    cpu = time.process_time()
    claimed = await worker.run_once()
    ended = time.time()
    print(
        json.dumps(
            {
                "claimed": claimed,
                "fired": worker.fired,
                "started": started,
                "ended": ended,
                "cpu": time.process_time() - cpu,
            }
        ),
        flush=True,
    )
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
