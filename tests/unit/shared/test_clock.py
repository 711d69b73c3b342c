"""The fake clock drives sleepers deterministically."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import FakeClock, SystemClock

T0 = datetime(2026, 3, 8, 7, 59, tzinfo=UTC)


async def test_sleepers_wake_in_order_when_time_is_advanced() -> None:
    clock = FakeClock(T0)
    woke: list[int] = []

    async def sleeper(n: int, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(n)

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in ((1, 60), (2, 30), (3, 3600))]
    await asyncio.sleep(0)
    assert clock.next_wakeup() == T0 + timedelta(seconds=30)
    clock.advance(timedelta(minutes=1))
    await asyncio.sleep(0)
    assert woke == [2, 1]
    clock.advance(3600)
    await asyncio.gather(*tasks)
    assert woke == [2, 1, 3]
    assert clock.now() == T0 + timedelta(seconds=3660)


def test_time_never_runs_backwards_and_is_always_aware() -> None:
    clock = FakeClock(T0)
    with pytest.raises(ValueError):
        clock.set(T0 - timedelta(seconds=1))
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 1, 1))
    assert SystemClock().now().tzinfo is UTC
