"""A per-sender send rate shared by every dispatcher process (GCRA on Redis)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

# Reserve the next slot: theoretical arrival time = max(now, tat) + interval. Returns the wait.
_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, tat)
redis.call('SET', KEYS[1], start + interval, 'PX', math.ceil(start + interval - now) + 1000)
return start - now
"""


class RateLimiter:
    """Messages per second per sender; urgent texts take a slot without waiting for one."""

    def __init__(self, redis: Redis, prefix: str, *, per_second: float) -> None:
        self.interval_ms = 1000.0 / per_second
        self.prefix = prefix
        self._reserve = redis.register_script(_RESERVE)

    async def _slot(self, sender: str) -> float:
        now_ms = int(time.time() * 1000)
        wait = await self._reserve(
            keys=[f"{self.prefix}:rate:{sender}"], args=[now_ms, self.interval_ms]
        )
        return self.seconds(wait)

    def queue(self, pipe: Pipeline, sender: str) -> None:
        """Queue a slot reservation on a caller's pipeline; `seconds(result)` is the wait.

        By EVALSHA alone: a Script on a pipeline costs an extra SCRIPT EXISTS round trip on
        every execute. If Redis lost the script (a restart), execute raises NoScriptError and
        the caller reserves with `slot()`, which loads it again."""
        now_ms = int(time.time() * 1000)
        pipe.evalsha(self._reserve.sha, 1, f"{self.prefix}:rate:{sender}", now_ms, self.interval_ms)

    async def slot(self, sender: str) -> float:
        """Reserve a slot; the seconds to wait for it."""
        return await self._slot(sender)

    @staticmethod
    def seconds(wait: Any) -> float:
        return max(0.0, float(wait) / 1000)

    async def wait(self, sender: str) -> float:
        """Reserve a slot and sleep until it; returns the seconds waited."""
        delay = await self._slot(sender)
        if delay > 0:
            await asyncio.sleep(delay)
        return delay

    async def take(self, sender: str) -> None:
        """Pre-empt: count this send against the rate but do not wait (urgent lane)."""
        await self._slot(sender)
