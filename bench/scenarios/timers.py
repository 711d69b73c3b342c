"""Scenario 4, timer scale: 1,000,000 pending timers in Redis, shaped like the adherence
service's dose timers (four steps per dose, keys and payloads as its planner makes them, its
bucket count): memory per pending timer, and the claim-and-fire rate of one worker process and
of two at once (the project's TimerWorker with a handler that does nothing).

The measured timers are due in slices at fixed instants of a fake clock, one slice per
measurement, while the rest stay pending; each worker fires what is due at its instant."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from bench.infra import BenchInfra
from bench.procs import ROOT, CpuMeter
from bench.progress import Progress, say
from services.adherence.rules.model import STEPS
from services.adherence.settings import AdherenceSection
from services.adherence.timers import DoseStep
from shared.timers import Timers
from shared.topics import RedisPrefix, redis_prefix

BASE = datetime(2020, 1, 6, 14, 0, tzinfo=UTC)
"""Slice k is due at BASE + k hours on the workers' fake clock; the rest long after."""
LATER = BASE + timedelta(days=1000)


@dataclass
class TimerFigures:
    pending: int
    buckets: int
    bytes_per_timer: float
    bytes_per_timer_info: float
    schedule_rate: float
    one_worker: list[float]
    two_workers: list[float]
    redis_cpu_ms_per_timer: list[float]


def items(n: int, slices: int, slice_size: int) -> list[tuple[str, datetime, dict[str, Any]]]:
    """n timers, four per dose; timer i belongs to slice i % stride while slices last."""
    stride = max(n // slice_size, slices)
    out = []
    for i in range(n):
        dose_no, step = divmod(i, len(STEPS))
        dose_id = f"pl-p-{dose_no // 3:06d}-1:2026-12-{1 + dose_no % 3:02d}:08:00"
        k = i % stride
        due = BASE + timedelta(hours=k) if k < slices else LATER
        out.append(DoseStep(dose_id, STEPS[step]).at(due + timedelta(milliseconds=i % 60_000)))
    return out


async def _schedule(timers: Timers, batch: list[tuple[str, datetime, dict[str, Any]]]) -> float:
    bar = Progress("scheduling timers", len(batch))
    done = 0
    started = time.monotonic()
    step = 20_000
    for start in range(0, len(batch), step):
        chunk = batch[start : start + step]
        parts = [chunk[i::4] for i in range(4)]
        await asyncio.gather(*(timers.schedule_many(p, chunk=1000) for p in parts))
        done += len(chunk)
        bar.update(done)
    bar.close(done)
    return len(batch) / (time.monotonic() - started)


async def _memory(redis: Redis, base: str, n: int) -> float:
    """Bytes per timer by MEMORY USAGE of every key of the namespace (as the project's test)."""
    used = 0
    keys = [k async for k in redis.scan_iter(match=f"{base}:*", count=2000)]
    for i in range(0, len(keys), 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys[i : i + 1000]:
                pipe.memory_usage(key, samples=0)
            used += sum(int(u or 0) for u in await pipe.execute())
    return used / n


async def _workers(infra: BenchInfra, prefix: str, at: datetime, count: int) -> tuple[int, float]:
    """Start `count` worker processes, release them together; (fired, seconds from the first
    start to the last end)."""
    procs = []
    for _ in range(count):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.timer_worker",
            "--redis",
            infra.redis_url,
            "--prefix",
            prefix,
            "--namespace",
            "doses",
            "--at-ms",
            str(int(at.timestamp() * 1000)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        procs.append(proc)
    for proc in procs:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise RuntimeError(f"timer worker did not start: {line!r}")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    results = []
    for proc in procs:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 600)
        results.append(json.loads(line))
        await proc.wait()
    fired = sum(int(r["fired"]) for r in results)
    seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return fired, seconds


async def run(infra: BenchInfra, *, pending: int, slice_size: int, rounds: int) -> TimerFigures:
    namespace = f"btimers{int(time.time())}"
    prefix = redis_prefix(namespace, RedisPrefix.ADHERENCE)
    buckets = AdherenceSection().timer_buckets
    redis = Redis.from_url(infra.redis_url)
    timers = Timers(redis, prefix, "doses", buckets=buckets)
    try:
        await asyncio.sleep(1.5)  # let the AOF buffer drain before the first reading
        before = int((await redis.info("memory"))["used_memory"])
        batch = items(pending, 2 * rounds, slice_size)
        rate = await _schedule(timers, batch)
        del batch
        await asyncio.sleep(1.5)
        after = int((await redis.info("memory"))["used_memory"])
        if await timers.pending() != pending:
            raise RuntimeError(f"{await timers.pending()} timers pending, not {pending}")
        per_timer = await _memory(redis, timers.base, pending)
        say(f"timers: {pending:,} pending, {per_timer:.0f} B each ({buckets} buckets)")
        one: list[float] = []
        two: list[float] = []
        redis_cpu: list[float] = []
        for r in range(rounds):
            for workers, out in ((1, one), (2, two)):
                k = 2 * r + (workers - 1)
                at = BASE + timedelta(hours=k, minutes=30)
                meter = CpuMeter({"redis": infra.redis_pid}).start()
                fired, seconds = await _workers(infra, prefix, at, workers)
                meter.stop()
                if fired != slice_size:
                    raise RuntimeError(f"slice {k}: {fired} fired, not {slice_size}")
                out.append(fired / seconds)
                redis_cpu.append(1000 * meter.used.get("redis", 0.0) / fired)
                say(
                    f"timers round {r + 1}: {workers} worker(s) fired {fired:,} "
                    f"in {seconds:.1f}s ({fired / seconds:,.0f}/s)"
                )
        left = await timers.pending()
        if left != pending - 2 * rounds * slice_size:
            raise RuntimeError(f"{left} timers left pending after the rounds")
        return TimerFigures(
            pending=pending,
            buckets=buckets,
            bytes_per_timer=per_timer,
            bytes_per_timer_info=(after - before) / pending,
            schedule_rate=rate,
            one_worker=one,
            two_workers=two,
            redis_cpu_ms_per_timer=redis_cpu,
        )
    finally:
        await _drop(redis, namespace)
        await redis.aclose()


async def _drop(redis: Redis, namespace: str) -> None:
    batch = []
    async for key in redis.scan_iter(match=f"{namespace}:*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            await redis.unlink(*batch)
            batch.clear()
    if batch:
        await redis.unlink(*batch)
