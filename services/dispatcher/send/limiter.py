"""A per-sender send rate shared by every dispatcher process (GCRA on Redis)."""

from __future__ import annotations

import time
from typing import Any

# Reserve the next slot: theoretical arrival time = max(now, tat) + interval. Returns the wait
# in ms. A Lua function for the dispatcher's begin-send script (store.py) to call.
RESERVE_FUNCTION = """
local function reserve(key, now, interval)
  local tat = tonumber(redis.call('GET', key) or '0')
  local start = math.max(now, tat)
  redis.call('SET', key, start + interval, 'PX', math.ceil(start + interval - now) + 1000)
  return start - now
end
"""


class RateLimiter:
    """Messages per second per sender (GCRA on Redis, shared by every dispatcher process). The
    reservation itself runs inside the dispatcher's begin-send script (store.py), with
    RESERVE_FUNCTION; urgent texts take a slot without waiting for it."""

    def __init__(self, prefix: str, *, per_second: float) -> None:
        self.interval_ms = 1000.0 / per_second
        self.prefix = prefix

    def key(self, sender: str) -> str:
        return f"{self.prefix}:rate:{sender}"

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    @staticmethod
    def seconds(wait: Any) -> float:
        """The reservation's answer (ms to wait) in seconds."""
        return max(0.0, float(wait) / 1000)
