"""Timers on fakeredis (the same Lua scripts, no server): a clinic day on a fake clock, the bucket
layout, and an invariant check over random sequences of operations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.clock import FakeClock
from shared.timers import Timer, Timers, TimerWorker

T0 = datetime(2025, 11, 2, 5, 0, tzinfo=UTC)


def _redis() -> fakeredis.FakeAsyncRedis:
    return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(version=(7, 0)))


async def test_a_clinic_day_on_a_fake_clock_fires_every_timer_once_and_never_early() -> None:
    redis = _redis()
    clock = FakeClock(T0)
    timers = Timers(redis, "mtm:reminders", "day", buckets=16)
    fired: dict[str, datetime] = {}
    due = {f"appt:a{i}": T0 + timedelta(minutes=7 * i) for i in range(200)}

    async def remind(timer: Timer) -> None:
        assert timer.key not in fired
        fired[timer.key] = clock.now()

    worker = TimerWorker(timers, remind, clock=clock, batch=7)
    await timers.schedule_many([(k, at, {"appointment": k}) for k, at in due.items()])
    assert await timers.cancel("appt:a5")
    for _ in range(1_000):
        if (next_due := await timers.next_due()) is None:
            break
        clock.set(max(next_due, clock.now()))
        await worker.run_once()
    assert fired == {k: at for k, at in due.items() if k != "appt:a5"}
    assert await timers.pending() == 0


async def test_the_stored_bucket_count_wins_over_a_different_constructor_argument() -> None:
    redis = _redis()
    small = Timers(redis, "mtm:adherence", "doses", buckets=4)
    large = Timers(redis, "mtm:adherence", "doses", buckets=4096)
    await small.schedule("dose:pl-1:08:00", T0, {"plan": "pl-1"})
    assert await large.get("dose:pl-1:08:00") == (T0, {"plan": "pl-1"})
    [timer] = await large.claim(T0)
    assert await small.complete(timer)
    await large.schedule("dose:pl-2:08:00", T0)
    assert await small.cancel("dose:pl-2:08:00")
    assert await redis.get(small.base + ":buckets") == b"4"
    assert await small.pending() == await large.pending() == 0


async def _invariants(redis: Any, timers: Timers, model: set[str]) -> None:
    """Every pending timer is in exactly one of due/lease; the index and the count agree."""
    base = timers.base
    data: set[str] = set()
    due: set[str] = set()
    for b in range(timers.buckets):
        data |= {k.decode() for k in await redis.hkeys(f"{base}:data:{b}")}
        members = await redis.zrange(f"{base}:due:{b}", 0, -1, withscores=True)
        due |= {k.decode() for k, _ in members}
        indexed = await redis.zscore(timers.index_key, str(b))
        assert indexed == (min(s for _, s in members) if members else None)
    leased = {m.decode().partition(":")[2] for m in await redis.zrange(timers.lease_key, 0, -1)}
    assert data == model
    assert due | leased == data and not due & leased
    assert await timers.pending() == len(data)


OPS = st.lists(
    st.tuples(
        st.sampled_from(["schedule", "cancel", "claim", "complete", "retry", "expire"]),
        st.integers(0, 5),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_random_operations_keep_the_layout_consistent(ops: list[tuple[str, int]]) -> None:
    asyncio.run(_run_ops(ops))


async def _run_ops(ops: list[tuple[str, int]]) -> None:
    redis = _redis()
    timers = Timers(redis, "mtm:escalation", "ops", buckets=3)
    now = T0
    model: set[str] = set()
    in_flight: list[Timer] = []
    for op, n in ops:
        key = f"k{n}"
        if op == "schedule":
            await timers.schedule(key, now + timedelta(seconds=n), {"n": n})
            model.add(key)
        elif op == "cancel":
            assert await timers.cancel(key) == (key in model)
            model.discard(key)
        elif op == "claim":
            in_flight += await timers.claim(now, limit=2, lease_seconds=10, max_attempts=3)
        elif op in ("complete", "retry") and in_flight:
            timer = in_flight.pop(n % len(in_flight))
            if op == "complete":
                if await timers.complete(timer):
                    model.discard(timer.key)
            elif await timers.retry(timer, now, max_attempts=3) == -1:
                model.discard(timer.key)
        elif op == "expire":
            now += timedelta(seconds=11)
        dead = set(await timers.dead())
        model -= dead
        await _invariants(redis, timers, model)
    await redis.aclose()
