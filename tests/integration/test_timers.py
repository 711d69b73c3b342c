"""Durable timers against the real Redis: a worker process killed with SIGKILL loses nothing and
the idempotent handler's effect happens once per timer; reschedules, cancels, expired leases,
retries and several workers at once behave as a clinic would expect."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from deploy.local.find_infra import Infra
from shared.clock import FakeClock
from shared.idempotency import Claims, ClaimState
from shared.timers import Timer, Timers, TimerWorker
from tests.integration.procs import Proc, stop_all
from tests.integration.procs.timer_worker import WorkerKeys
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

log = logging.getLogger("mtm.test.timers")

T0 = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
WORKER = "tests.integration.procs.timer_worker"


async def _counts(redis: Redis, key: str) -> dict[str, int]:
    raw = await redis.hgetall(key)
    return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}


def _spread(
    prefix: str, n: int, start: datetime, seconds: float
) -> list[tuple[str, datetime, Any]]:
    return [
        (f"{prefix}:{i:05d}", start + timedelta(seconds=seconds * i / n), {"n": i})
        for i in range(n)
    ]


async def _worker(
    service_env: dict[str, str],
    tmp_path: Path,
    redis: Redis,
    keys: WorkerKeys,
    name: str,
    worker: str,
    *extra: str,
) -> Proc:
    proc = await Proc(
        WORKER,
        ["--timers", name, "--worker", worker, *extra],
        service_env,
        tmp_path / f"{worker}.log",
    ).start()
    await eventually(
        lambda: redis.exists(keys.ready(worker)), timeout=20, message=f"worker {worker} ready"
    )
    return proc


async def test_ten_thousand_timers_survive_a_sigkilled_worker_process(
    redis: Redis, namespace: str, service_env: dict[str, str], tmp_path: Path
) -> None:
    keys = WorkerKeys.of(namespace)
    timers = Timers(redis, keys.base, "kill")
    start = datetime.now(UTC) + timedelta(seconds=2)
    live = _spread("dose", 10_000, start, 4)
    cancelled = _spread("cancelled", 300, start, 4)
    await timers.schedule_many(live + cancelled)
    for key, _, _ in cancelled:
        assert await timers.cancel(key)
    assert await timers.pending() == 10_000

    procs: list[Proc] = []
    began = time.monotonic()
    try:
        procs.append(await _worker(service_env, tmp_path, redis, keys, "kill", "a"))
        await eventually(
            lambda: _more_than(redis, keys.effects, 5_000),
            timeout=40,
            interval=0.02,
            message="half of the timers fired",
        )
        status = await procs[0].sigkill()
        assert status == -9
        at_kill = await redis.hlen(keys.effects)
        assert at_kill < 10_000, "the worker was not killed halfway"

        procs.append(await _worker(service_env, tmp_path, redis, keys, "kill", "b"))
        await eventually(lambda: _all_done(timers), timeout=45, message="every timer completed")
    finally:
        await stop_all(procs)

    effects = await _counts(redis, keys.effects)
    firings = await _counts(redis, keys.firings)
    assert effects == {key: 1 for key, _, _ in live}
    assert not [key for key in firings if key.startswith("cancelled:")]
    assert set(firings) == set(effects)
    assert await timers.dead() == {}
    raw = sum(firings.values())
    log.warning(
        "10k timers, SIGKILL halfway: %d raw firings for 10000 timers (%d fired twice or more), "
        "%d effects done before the kill, %.1fs",
        raw,
        sum(1 for v in firings.values() if v > 1),
        at_kill,
        time.monotonic() - began,
    )


async def _more_than(redis: Redis, key: str, n: int) -> bool:
    return int(await redis.hlen(key)) >= n


async def _all_done(timers: Timers) -> bool:
    return await timers.pending() == 0


async def test_two_worker_processes_fire_each_effect_once(
    redis: Redis, namespace: str, service_env: dict[str, str], tmp_path: Path
) -> None:
    keys = WorkerKeys.of(namespace)
    timers = Timers(redis, keys.base, "pair")
    procs: list[Proc] = []
    try:
        for worker in ("a", "b"):
            procs.append(
                await _worker(service_env, tmp_path, redis, keys, "pair", worker, "--batch", "50")
            )
        live = _spread("appt", 3_000, datetime.now(UTC) + timedelta(seconds=0.5), 2)
        await timers.schedule_many(live)
        await eventually(lambda: _all_done(timers), timeout=40, message="every timer completed")
    finally:
        await stop_all(procs)

    assert await _counts(redis, keys.effects) == {key: 1 for key, _, _ in live}
    by_worker = {w: await _counts(redis, keys.by_worker(w)) for w in ("a", "b")}
    assert by_worker["a"] and by_worker["b"], "both workers fired timers"
    log.warning(
        "two workers: a fired %d, b fired %d, raw firings %d for 3000 timers",
        sum(by_worker["a"].values()),
        sum(by_worker["b"].values()),
        sum((await _counts(redis, keys.firings)).values()),
    )


async def test_racing_workers_with_expiring_leases_still_apply_each_effect_once(
    redis: Redis, namespace: str, infra: Infra
) -> None:
    """Four workers with short leases; one of them stalls on every timer it gets until another
    worker has re-fired it and written the effect. Its late completion is refused, so every
    effect lands exactly once even though claims expire in the middle of handlers."""
    keys = WorkerKeys.of(namespace)
    clients = [Redis.from_url(infra.redis_url) for _ in range(4)]
    stalled: list[str] = []
    refused: list[str] = []

    def handler(client: Redis, *, stall: bool) -> Any:
        claims = Claims(client, keys.base)

        async def handle(timer: Timer) -> None:
            await client.hincrby(keys.firings, timer.key, 1)
            claim = await claims.claim(timer.key, lease_seconds=0.3)
            if claim.state is ClaimState.DONE:
                return
            if claim.state is ClaimState.IN_PROGRESS:
                raise RuntimeError("claim busy")
            if stall and not timer.redelivered:
                stalled.append(timer.key)
                await eventually(
                    lambda: client.hexists(keys.effects, timer.key),
                    timeout=20,
                    interval=0.02,
                    message="another worker took over",
                )
            async with client.pipeline(transaction=True) as pipe:
                pipe.hincrby(keys.effects, timer.key, 1)
                if not await claims.complete(timer.key, pipe=pipe):
                    refused.append(timer.key)
                    raise RuntimeError("claim lost")
                await pipe.execute()

        return handle

    workers = [
        TimerWorker(
            Timers(c, keys.base, "race"),
            handler(c, stall=i == 0),
            batch=5 if i == 0 else 50,
            lease_seconds=0.3,
            retry_seconds=0.1,
            max_attempts=50,
        )
        for i, c in enumerate(clients)
    ]
    timers = Timers(redis, keys.base, "race")
    live = _spread("race", 2_000, datetime.now(UTC) + timedelta(seconds=0.3), 1.5)
    await timers.schedule_many(live)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        await eventually(lambda: _all_done(timers), timeout=40, message="every timer completed")
    finally:
        for w in workers:
            w.stop()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=20)
        for c in clients:
            await c.aclose()

    assert await _counts(redis, keys.effects) == {key: 1 for key, _, _ in live}
    assert stalled, "the stalling worker got timers"
    assert sorted(refused) == sorted(stalled)
    assert await timers.dead() == {}
    firings = await _counts(redis, keys.firings)
    log.warning(
        "racing workers: %d raw firings for 2000 timers, %d late completions refused",
        sum(firings.values()),
        len(refused),
    )


async def test_an_expired_lease_is_redelivered_as_the_next_attempt(
    redis: Redis, namespace: str
) -> None:
    timers = Timers(redis, f"{namespace}:test", "lease")
    generation = await timers.schedule("dose:p1", T0, {"plan": "pl-1"})

    [first] = await timers.claim(T0, lease_seconds=30)
    assert (first.key, first.generation, first.attempt) == ("dose:p1", generation, 1)
    assert await timers.claim(T0 + timedelta(seconds=29)) == []  # the lease still holds

    [again] = await timers.claim(T0 + timedelta(seconds=30), lease_seconds=30)
    assert (again.key, again.generation, again.attempt) == ("dose:p1", generation, 2)
    assert again.payload == {"plan": "pl-1"} and again.redelivered
    assert await timers.complete(again)
    assert await timers.complete(first) is False  # the first worker finishing late changes nothing
    assert await timers.pending() == 0
    assert await timers.claim(T0 + timedelta(hours=1)) == []


async def test_complete_many_completes_only_the_generations_still_owned(
    redis: Redis, namespace: str
) -> None:
    timers = Timers(redis, f"{namespace}:test", "many")
    for i in range(3):
        await timers.schedule(f"dose:{i}", T0, {})
    claimed = await timers.claim(T0, limit=10)
    await timers.schedule("dose:1", T0 + timedelta(hours=1), {})  # rescheduled while in flight
    assert await timers.complete_many(claimed) == 2
    assert await timers.complete_many([]) == 0
    assert await timers.pending() == 1
    due, _ = await timers.get("dose:1")
    assert due == T0 + timedelta(hours=1)  # the reschedule survived the batch completion


class _CountingTimers(Timers):
    writes: int = 0

    async def complete_many(self, timers: Any) -> int:
        self.writes += 1
        return await super().complete_many(timers)


async def test_a_worker_completes_timers_that_finish_together_in_one_round_trip(
    redis: Redis, namespace: str
) -> None:
    timers = _CountingTimers(redis, f"{namespace}:test", "batched")
    n = 500
    for i in range(n):
        await timers.schedule(f"dose:{i:04d}", T0, {})
    fired: list[str] = []

    async def handler(timer: Timer) -> None:
        await asyncio.sleep(0)
        fired.append(timer.key)

    worker = TimerWorker(timers, handler, clock=FakeClock(T0))
    assert await worker.run_once() == n
    assert sorted(fired) == [f"dose:{i:04d}" for i in range(n)]
    assert worker.fired == n
    assert await timers.pending() == 0  # every one completed before run_once returned
    assert 0 < timers.writes <= n / 10, timers.writes


async def test_a_cancelled_timer_never_fires(redis: Redis, namespace: str) -> None:
    timers = Timers(redis, f"{namespace}:test", "cancel")
    await timers.schedule("appt:a1:24h", T0, {"appointment": "a1"})
    await timers.schedule("appt:a2:24h", T0, {"appointment": "a2"})
    assert await timers.cancel("appt:a1:24h")
    assert not await timers.cancel("appt:a1:24h")
    claimed = await timers.claim(T0 + timedelta(days=1))
    assert [t.key for t in claimed] == ["appt:a2:24h"]
    assert await timers.get("appt:a1:24h") == (None, None)


async def test_a_cancel_while_in_flight_is_not_undone_by_the_firing(
    redis: Redis, namespace: str
) -> None:
    timers = Timers(redis, f"{namespace}:test", "cancel-flight")
    await timers.schedule("esc:al-1", T0)
    [timer] = await timers.claim(T0)
    assert await timers.cancel("esc:al-1")
    assert await timers.retry(timer, T0 + timedelta(minutes=1), max_attempts=5) == 0
    assert await timers.complete(timer) is False
    assert await timers.pending() == 0
    assert await timers.claim(T0 + timedelta(days=1)) == []


async def test_a_reschedule_while_in_flight_is_not_lost(redis: Redis, namespace: str) -> None:
    timers = Timers(redis, f"{namespace}:test", "resched")
    await timers.schedule("appt:a1:2h", T0, {"at": "09:00"})
    [old] = await timers.claim(T0)

    moved = T0 + timedelta(hours=3)
    new_generation = await timers.reschedule("appt:a1:2h", moved, {"at": "12:00"})
    assert await timers.complete(old) is False
    assert await timers.retry(old, T0 + timedelta(minutes=1), max_attempts=1) == 0
    assert await timers.get("appt:a1:2h") == (moved, {"at": "12:00"})
    assert await timers.pending() == 1
    assert await timers.claim(moved - timedelta(seconds=1)) == []

    [new] = await timers.claim(moved)
    assert (new.generation, new.payload, new.attempt) == (new_generation, {"at": "12:00"}, 1)
    assert await timers.complete(new)
    assert await timers.pending() == 0


async def test_a_handler_that_reschedules_its_own_timer_keeps_it(
    redis: Redis, namespace: str
) -> None:
    """A recurring reminder: the worker's completion of today's firing keeps tomorrow's."""
    clock = FakeClock(T0)
    timers = Timers(redis, f"{namespace}:test", "daily")
    fired: list[tuple[str, datetime]] = []

    async def daily(timer: Timer) -> None:
        fired.append((timer.key, clock.now()))
        await timers.reschedule(timer.key, clock.now() + timedelta(days=1), timer.payload)

    worker = TimerWorker(timers, daily, clock=clock)
    await timers.schedule("dose:pl-1:08:00", T0, {"plan": "pl-1"})
    for day in range(3):
        clock.set(T0 + timedelta(days=day))
        assert await worker.run_once() == 1
    assert fired == [("dose:pl-1:08:00", T0 + timedelta(days=d)) for d in range(3)]
    assert await timers.get("dose:pl-1:08:00") == (T0 + timedelta(days=3), {"plan": "pl-1"})


async def test_a_failing_handler_is_retried_then_dead_lettered(
    redis: Redis, namespace: str
) -> None:
    clock = FakeClock(T0)
    timers = Timers(redis, f"{namespace}:test", "retry")
    attempts: dict[str, list[int]] = {}

    async def flaky(timer: Timer) -> None:
        attempts.setdefault(timer.key, []).append(timer.attempt)
        if timer.key == "broken" or (timer.key == "flaky" and timer.attempt < 3):
            raise RuntimeError("downstream unavailable")

    worker = TimerWorker(timers, flaky, clock=clock, max_attempts=4, retry_seconds=10)
    for key in ("broken", "flaky", "fine"):
        await timers.schedule(key, T0, {"id": key})
    for _ in range(10):
        await worker.run_once()
        clock.advance(timedelta(seconds=60))

    assert attempts == {"broken": [1, 2, 3, 4], "flaky": [1, 2, 3], "fine": [1]}
    assert await timers.dead() == {"broken": {"id": "broken"}}
    assert await timers.pending() == 0
    assert worker.fired == 2


async def test_a_timer_whose_worker_keeps_dying_goes_to_the_dead_set(
    redis: Redis, namespace: str
) -> None:
    timers = Timers(redis, f"{namespace}:test", "poison")
    await timers.schedule("poison", T0, {"id": "p"})
    now = T0
    seen = []
    for _ in range(5):
        seen += [t.attempt for t in await timers.claim(now, lease_seconds=1, max_attempts=3)]
        now += timedelta(seconds=2)  # the worker died: its lease runs out
    assert seen == [1, 2, 3]
    assert await timers.dead() == {"poison": {"id": "p"}}
    assert await timers.pending() == 0
    await timers.schedule("poison", now, {"id": "p2"})  # scheduling again revives it
    assert await timers.dead() == {}
    assert [t.attempt for t in await timers.claim(now)] == [1]


async def test_bytes_per_pending_timer_for_100k_timers(redis: Redis, namespace: str) -> None:
    """Measures (and logs) the memory of 100,000 pending timers; only correctness is asserted."""
    timers = Timers(redis, f"{namespace}:test", "memory")
    first = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    items = [
        (
            f"dose:pl-{i:06d}:2025-06-01:08:00",
            first + timedelta(seconds=i % 86_400),
            {"patient_id": f"p-{i:06d}"},
        )
        for i in range(100_000)
    ]
    await timers.schedule_many(items, chunk=2_000)
    assert await timers.pending() == 100_000
    assert await timers.next_due() == first
    stored = [k async for k in redis.scan_iter(match=f"{timers.base}:*", count=1_000)]
    used = 0
    for i in range(0, len(stored), 500):
        async with redis.pipeline(transaction=False) as pipe:
            for key in stored[i : i + 500]:
                pipe.memory_usage(key, samples=0)
            used += sum(await pipe.execute())
    log.warning(
        "100k pending timers: %.1f bytes per timer (MEMORY USAGE of %d keys)",
        used / 100_000,
        len(stored),
    )
