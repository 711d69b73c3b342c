"""Durable timers on Redis: schedule, cancel, reschedule, and workers that fire due timers.

Per namespace: a sorted set of due instants, a hash of payloads (each tagged with a generation so
a reschedule during firing is never lost), and a sorted set of leases. A worker claims due timers
atomically (Lua) with a lease, runs the handler, and completes them; a timer whose lease expires
(its worker died) is claimed again. Firing is at-least-once, so handlers must be idempotent.
Many workers may run at once against one namespace.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from shared.clock import Clock, SystemClock

log = logging.getLogger("mtm.timers")

_SCHEDULE = """
local gen = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[2], ARGV[1], gen .. '|' .. ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return gen
"""

_CLAIM = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local until_ = now + tonumber(ARGV[3])
local out = {}
local n = 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
for _, key in ipairs(expired) do
  local data = redis.call('HGET', KEYS[2], key)
  if data then
    redis.call('ZADD', KEYS[3], until_, key)
    local attempt = redis.call('HINCRBY', KEYS[4], key, 1)
    table.insert(out, key); table.insert(out, data); table.insert(out, attempt + 1)
    n = n + 1
  else
    redis.call('ZREM', KEYS[3], key)
  end
end
if n < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit - n)
  for i = 1, #due, 2 do
    local key = due[i]
    redis.call('ZREM', KEYS[1], key)
    local data = redis.call('HGET', KEYS[2], key)
    if data then
      redis.call('ZADD', KEYS[3], until_, key)
      local attempt = tonumber(redis.call('HGET', KEYS[4], key) or '0')
      table.insert(out, key); table.insert(out, data); table.insert(out, attempt + 1)
    end
  end
end
return out
"""

_COMPLETE = """
local data = redis.call('HGET', KEYS[2], ARGV[1])
if data and string.sub(data, 1, string.len(ARGV[2]) + 1) == ARGV[2] .. '|' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
  return 1
end
return 0
"""

_RETRY = """
local data = redis.call('HGET', KEYS[2], ARGV[1])
if not (data and string.sub(data, 1, string.len(ARGV[2]) + 1) == ARGV[2] .. '|') then
  return 0
end
redis.call('ZREM', KEYS[3], ARGV[1])
local attempts = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
if attempts >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[5], ARGV[1], data)
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
  return -1
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return attempts
"""

_CANCEL = """
local removed = redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return removed
"""


def _ms(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("timer instants must be timezone-aware")
    return int(instant.timestamp() * 1000)


@dataclass(frozen=True)
class Timer:
    """A timer handed to a handler."""

    key: str
    payload: dict[str, Any]
    generation: int
    attempt: int

    @property
    def redelivered(self) -> bool:
        return self.attempt > 1


class Timers:
    """One namespace of durable timers."""

    def __init__(self, redis: Redis, prefix: str, namespace: str) -> None:
        base = f"{prefix}:timers:{namespace}"
        self.redis = redis
        self.due_key = f"{base}:due"
        self.data_key = f"{base}:data"
        self.lease_key = f"{base}:lease"
        self.attempts_key = f"{base}:attempts"
        self.dead_key = f"{base}:dead"
        self.seq_key = f"{base}:seq"
        self._schedule = redis.register_script(_SCHEDULE)
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)
        self._retry = redis.register_script(_RETRY)
        self._cancel = redis.register_script(_CANCEL)

    async def schedule(self, key: str, due: datetime, payload: dict[str, Any] | None = None) -> int:
        """Create or move a timer (a reschedule replaces the payload); returns its generation."""
        data = json.dumps(payload or {}, separators=(",", ":"))
        keys = [self.due_key, self.data_key, self.lease_key, self.seq_key, self.attempts_key]
        return int(await self._schedule(keys=keys, args=[key, _ms(due), data]))

    reschedule = schedule

    async def cancel(self, key: str) -> bool:
        """Remove a timer; True if it was pending or in flight."""
        keys = [self.due_key, self.data_key, self.lease_key, self.attempts_key]
        return bool(await self._cancel(keys=keys, args=[key]))

    async def claim(self, now: datetime, *, limit: int = 100, lease_seconds: float = 30) -> list[Timer]:
        """Atomically take due timers (and timers whose lease expired) with a lease."""
        keys = [self.due_key, self.data_key, self.lease_key, self.attempts_key]
        raw = await self._claim(keys=keys, args=[_ms(now), limit, int(lease_seconds * 1000)])
        out = []
        for i in range(0, len(raw), 3):
            key = raw[i].decode() if isinstance(raw[i], bytes) else raw[i]
            data = raw[i + 1].decode() if isinstance(raw[i + 1], bytes) else raw[i + 1]
            gen, _, body = data.partition("|")
            out.append(Timer(key=key, payload=json.loads(body), generation=int(gen), attempt=int(raw[i + 2])))
        return out

    async def complete(self, timer: Timer) -> bool:
        """Mark a fired timer done (a no-op if it was rescheduled or cancelled meanwhile)."""
        keys = [self.due_key, self.data_key, self.lease_key, self.attempts_key]
        return bool(await self._complete(keys=keys, args=[timer.key, timer.generation]))

    async def retry(self, timer: Timer, at: datetime, *, max_attempts: int) -> int:
        """Put a failed timer back for `at`; after max_attempts it moves to the dead set (-1)."""
        keys = [self.due_key, self.data_key, self.lease_key, self.attempts_key, self.dead_key]
        return int(await self._retry(keys=keys, args=[timer.key, timer.generation, _ms(at), max_attempts]))

    async def get(self, key: str) -> tuple[datetime | None, dict[str, Any] | None]:
        """The due instant (None while in flight) and payload of a timer."""
        score = await self.redis.zscore(self.due_key, key)
        data = await self.redis.hget(self.data_key, key)
        payload = None
        if data is not None:
            text = data.decode() if isinstance(data, bytes) else data
            payload = json.loads(text.partition("|")[2])
        due = datetime.fromtimestamp(score / 1000, UTC) if score is not None else None
        return due, payload

    async def pending(self) -> int:
        """Timers not yet completed (due later, or in flight)."""
        return int(await self.redis.hlen(self.data_key))

    async def next_due(self) -> datetime | None:
        """The earliest due instant or lease expiry."""
        candidates = []
        for key in (self.due_key, self.lease_key):
            first = await self.redis.zrange(key, 0, 0, withscores=True)
            if first:
                candidates.append(first[0][1])
        return datetime.fromtimestamp(min(candidates) / 1000, UTC) if candidates else None


Handler = Callable[[Timer], Awaitable[None]]


class TimerWorker:
    """Fires due timers of one namespace; run as many as you like."""

    def __init__(
        self,
        timers: Timers,
        handler: Handler,
        *,
        clock: Clock | None = None,
        batch: int = 200,
        concurrency: int = 50,
        lease_seconds: float = 30,
        poll_seconds: float = 0.05,
        max_attempts: int = 10,
        retry_seconds: float = 5,
    ) -> None:
        self.timers = timers
        self.handler = handler
        self.clock = clock or SystemClock()
        self.batch = batch
        self.semaphore = asyncio.Semaphore(concurrency)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.fired = 0
        self._stopped = asyncio.Event()

    async def _fire(self, timer: Timer) -> None:
        async with self.semaphore:
            try:
                await self.handler(timer)
            except Exception as exc:
                retry_at = datetime.fromtimestamp(
                    self.clock.now().timestamp() + self.retry_seconds * timer.attempt, UTC
                )
                outcome = await self.timers.retry(timer, retry_at, max_attempts=self.max_attempts)
                log.error(
                    "timer handler failed",
                    extra={"timer": timer.key, "attempt": timer.attempt, "error_class": type(exc).__name__,
                           "dead": outcome == -1},
                )
                return
            await self.timers.complete(timer)
            self.fired += 1

    async def run_once(self) -> int:
        """Fire every timer due now (in batches); returns how many were claimed."""
        total = 0
        while True:
            batch = await self.timers.claim(self.clock.now(), limit=self.batch, lease_seconds=self.lease_seconds)
            if not batch:
                return total
            total += len(batch)
            await asyncio.gather(*(self._fire(t) for t in batch))

    async def run(self) -> None:
        """Loop until stop(); survives Redis outages by backing off."""
        self._stopped.clear()
        backoff = self.poll_seconds
        while not self._stopped.is_set():
            try:
                await self.run_once()
                backoff = self.poll_seconds
                next_due = await self.timers.next_due()
            except Exception as exc:  # Redis down or restarting: keep the loop alive and back off
                log.warning("timer store unavailable", extra={"error_class": type(exc).__name__})
                backoff = min(backoff * 2, 5.0)
                await self.clock.sleep(backoff)
                continue
            wait = self.poll_seconds
            if next_due is not None:
                wait = min(wait, max(0.001, (next_due - self.clock.now()).total_seconds()))
            await self.clock.sleep(wait)

    def stop(self) -> None:
        self._stopped.set()
