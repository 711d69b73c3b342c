"""A per-sender send rate shared by every dispatcher process (GCRA on Redis)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.asyncio import Redis

# Reserve the next slot: theoretical arrival time = max(now, tat) + interval. Returns the wait
# in ms. A Lua function, so that other scripts (the dispatcher's begin-send) reserve the same way.
RESERVE_FUNCTION = """
local function reserve(key, now, interval)
  local tat = tonumber(redis.call('GET', key) or '0')
  local start = math.max(now, tat)
  redis.call('SET', key, start + interval, 'PX', math.ceil(start + interval - now) + 1000)
  return start - now
end
"""
_RESERVE = RESERVE_FUNCTION + "return reserve(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"


class RateLimiter:
    """Messages per second per sender; urgent texts take a slot without waiting for one."""

    def __init__(self, redis: Redis, prefix: str, *, per_second: float) -> None:
        self.interval_ms = 1000.0 / per_second
        self.prefix = prefix
        self._reserve = redis.register_script(_RESERVE)

    async def _slot(self, sender: str) -> float:
        wait = await self._reserve(keys=[self.key(sender)], args=[self.now_ms(), self.interval_ms])
        return self.seconds(wait)

    def key(self, sender: str) -> str:
        return f"{self.prefix}:rate:{sender}"

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

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
