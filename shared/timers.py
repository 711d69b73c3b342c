"""Durable timers on Redis: schedule, cancel, reschedule, and workers that fire due timers.

Layout of one namespace (`base` = `<prefix>:timers:<namespace>`); a timer key lives in bucket
`b` = hash(key) mod `buckets`, so each bucket stays small enough for Redis's compact (listpack)
encoding: about 125 bytes per pending timer (33-byte key, 26-byte payload) instead of about 265
with one big sorted set and one big hash.

    base:due:<b>    ZSET    key -> due instant (ms)              timers waiting in bucket b
    base:data:<b>   HASH    key -> "<generation>|<json payload>"  every pending or in-flight timer
    base:due        ZSET    b -> earliest due instant in bucket b  (the index a claim starts from)
    base:lease      ZSET    "<b>:<key>" -> lease expiry (ms)      timers being fired right now
    base:attempts   HASH    key -> failed or expired attempts so far
    base:dead       HASH    key -> "<generation>|<json payload>"  timers that used up max_attempts
    base:seq, base:count, base:buckets    generation counter, pending count, bucket count

A worker claims due timers atomically (Lua) with a lease, runs the handler, and completes them
by generation, so a reschedule or cancel during firing is never undone by the old firing's
completion. A timer whose lease expires (its worker died) is claimed again as the next attempt.
Firing is at-least-once, so handlers must be idempotent. Many workers may run at once.

The bucket count is stored on first use and wins over the constructor argument afterwards; pick
it near (expected pending timers / 100). A bucket that outgrows Redis's default listpack limits
(128 waiting timers, keys or "<generation>|<payload>" values over 64 bytes) switches to the
ordinary encoding: still correct, only larger, so keep payloads to a few ids. The scripts derive
bucket keys themselves, so a namespace must live on one Redis node (no cluster slots).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from shared.clock import Clock, SystemClock

log = logging.getLogger("mtm.timers")

DEFAULT_BUCKETS = 1024

# Prepended to every script. ARGV[1] = base, ARGV[2] = bucket count to use if none is stored yet.
# The bucket hash is plain arithmetic (a polynomial hash, then two MINSTD steps to mix it) so the
# scripts also run on fakeredis, which has no redis.sha1hex or bit library.
_LIB = """
local base = ARGV[1]
local lease_key = base .. ':lease'
local attempts_key = base .. ':attempts'
local dead_key = base .. ':dead'
local count_key = base .. ':count'
local function bucket(key)
  local n = tonumber(redis.call('GET', base .. ':buckets') or ARGV[2])
  local h = 0
  for i = 1, #key do h = (h * 257 + string.byte(key, i)) % 2147483647 end
  h = (h * 48271) % 2147483647
  h = (h * 48271) % 2147483647
  return tostring(h % n)
end
local function reindex(b)
  local first = redis.call('ZRANGE', base .. ':due:' .. b, 0, 0, 'WITHSCORES')
  if first[1] then
    redis.call('ZADD', base .. ':due', first[2], b)
  else
    redis.call('ZREM', base .. ':due', b)
  end
end
local function unschedule(b, key)
  if redis.call('ZREM', base .. ':due:' .. b, key) == 1 then reindex(b) end
end
local function owned(data, gen)
  return data and string.sub(data, 1, string.len(gen) + 1) == gen .. '|'
end
local function bury(b, key, data)
  redis.call('HSET', dead_key, key, data)
  redis.call('HDEL', base .. ':data:' .. b, key)
  redis.call('HDEL', attempts_key, key)
  redis.call('ZREM', lease_key, b .. ':' .. key)
  redis.call('DECR', count_key)
  unschedule(b, key)
end
"""

# ARGV[3] = key, ARGV[4] = due ms, ARGV[5] = payload
_SCHEDULE_ONE = """
redis.call('SET', base .. ':buckets', ARGV[2], 'NX')
local function schedule(key, due, data)
  local b = bucket(key)
  local gen = redis.call('INCR', base .. ':seq')
  if redis.call('HSET', base .. ':data:' .. b, key, gen .. '|' .. data) == 1 then
    redis.call('INCR', count_key)
  end
  redis.call('ZADD', base .. ':due:' .. b, due, key)
  reindex(b)
  redis.call('ZREM', lease_key, b .. ':' .. key)
  redis.call('HDEL', attempts_key, key)
  redis.call('HDEL', dead_key, key)
  return gen
end
"""
# ARGV[3] = key, ARGV[4] = due ms, ARGV[5] = payload JSON
_SCHEDULE = _SCHEDULE_ONE + "return schedule(ARGV[3], ARGV[4], ARGV[5])"
# ARGV[3..] = key, due ms, payload, key, due ms, payload, ...; returns the generations in order.
_SCHEDULE_MANY = (
    _SCHEDULE_ONE
    + """
local out = {}
for i = 3, #ARGV, 3 do out[#out + 1] = schedule(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return out
"""
)

# ARGV[3] = now ms, ARGV[4] = limit, ARGV[5] = lease ms, ARGV[6] = max attempts (0: unlimited)
# Returns key, data, attempt triples. Expired leases first: those timers have waited longest.
_CLAIM = """
local now = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local until_ = now + tonumber(ARGV[5])
local max = tonumber(ARGV[6])
local out = {}
local n = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', lease_key, '-inf', now, 'LIMIT', 0, limit)) do
  local sep = string.find(member, ':', 1, true)
  local b = string.sub(member, 1, sep - 1)
  local key = string.sub(member, sep + 1)
  local data = redis.call('HGET', base .. ':data:' .. b, key)
  if not data then
    redis.call('ZREM', lease_key, member)
  else
    local attempts = redis.call('HINCRBY', attempts_key, key, 1)
    if max > 0 and attempts >= max then
      bury(b, key, data)
    else
      redis.call('ZADD', lease_key, until_, member)
      table.insert(out, key); table.insert(out, data); table.insert(out, attempts + 1)
      n = n + 1
    end
  end
end
if n < limit then
  local buckets = redis.call('ZRANGEBYSCORE', base .. ':due', '-inf', now, 'LIMIT', 0, limit - n)
  for _, b in ipairs(buckets) do
    local due_key = base .. ':due:' .. b
    local data_key = base .. ':data:' .. b
    local due = redis.call('ZRANGEBYSCORE', due_key, '-inf', now, 'LIMIT', 0, limit - n)
    for _, key in ipairs(due) do
      redis.call('ZREM', due_key, key)
      local data = redis.call('HGET', data_key, key)
      if data then
        redis.call('ZADD', lease_key, until_, b .. ':' .. key)
        local attempt = tonumber(redis.call('HGET', attempts_key, key) or '0') + 1
        table.insert(out, key); table.insert(out, data); table.insert(out, attempt)
        n = n + 1
      end
    end
    reindex(b)
    if n >= limit then break end
  end
end
return out
"""

# ARGV[3] = key, ARGV[4] = generation
_COMPLETE_ONE = """
local function complete(key, gen)
  local b = bucket(key)
  local data_key = base .. ':data:' .. b
  if not owned(redis.call('HGET', data_key, key), gen) then return 0 end
  redis.call('HDEL', data_key, key)
  redis.call('DECR', count_key)
  redis.call('ZREM', lease_key, b .. ':' .. key)
  redis.call('HDEL', attempts_key, key)
  unschedule(b, key)
  return 1
end
"""
# ARGV[3] = key, ARGV[4] = generation
_COMPLETE = _COMPLETE_ONE + "return complete(ARGV[3], ARGV[4])"
# ARGV[3..] = key, generation, key, generation, ...; returns how many were still owned.
_COMPLETE_MANY = (
    _COMPLETE_ONE
    + """
local n = 0
for i = 3, #ARGV, 2 do n = n + complete(ARGV[i], ARGV[i + 1]) end
return n
"""
)

# ARGV[3] = key, ARGV[4] = generation, ARGV[5] = retry at ms, ARGV[6] = max attempts
_RETRY = """
local key = ARGV[3]
local b = bucket(key)
local data = redis.call('HGET', base .. ':data:' .. b, key)
if not owned(data, ARGV[4]) then return 0 end
local attempts = redis.call('HINCRBY', attempts_key, key, 1)
if attempts >= tonumber(ARGV[6]) then
  bury(b, key, data)
  return -1
end
redis.call('ZREM', lease_key, b .. ':' .. key)
redis.call('ZADD', base .. ':due:' .. b, ARGV[5], key)
reindex(b)
return attempts
"""

# ARGV[3] = key
_CANCEL = """
local key = ARGV[3]
local b = bucket(key)
local removed = redis.call('HDEL', base .. ':data:' .. b, key)
if removed == 1 then redis.call('DECR', count_key) end
unschedule(b, key)
redis.call('ZREM', lease_key, b .. ':' .. key)
redis.call('HDEL', attempts_key, key)
redis.call('HDEL', dead_key, key)
return removed
"""

# ARGV[3] = key
_GET = """
local b = bucket(ARGV[3])
return {redis.call('ZSCORE', base .. ':due:' .. b, ARGV[3]),
        redis.call('HGET', base .. ':data:' .. b, ARGV[3])}
"""


def _ms(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("timer instants must be timezone-aware")
    return int(instant.timestamp() * 1000)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _instant(ms: float) -> datetime:
    return datetime.fromtimestamp(float(ms) / 1000, UTC)


def _payload(data: bytes | str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(_text(data).partition("|")[2])
    return payload


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

    def __init__(
        self, redis: Redis, prefix: str, namespace: str, *, buckets: int = DEFAULT_BUCKETS
    ) -> None:
        if buckets < 1:
            raise ValueError("buckets must be positive")
        self.base = f"{prefix}:timers:{namespace}"
        self.redis = redis
        self.buckets = buckets
        self.index_key = f"{self.base}:due"
        self.lease_key = f"{self.base}:lease"
        self.attempts_key = f"{self.base}:attempts"
        self.dead_key = f"{self.base}:dead"
        self.count_key = f"{self.base}:count"
        self._schedule = redis.register_script(_LIB + _SCHEDULE)
        self._schedule_many = redis.register_script(_LIB + _SCHEDULE_MANY)
        self._claim = redis.register_script(_LIB + _CLAIM)
        self._complete = redis.register_script(_LIB + _COMPLETE)
        self._complete_many = redis.register_script(_LIB + _COMPLETE_MANY)
        self._retry = redis.register_script(_LIB + _RETRY)
        self._cancel = redis.register_script(_LIB + _CANCEL)
        self._get = redis.register_script(_LIB + _GET)

    def _args(self, *rest: Any) -> list[Any]:
        return [self.base, self.buckets, *rest]

    async def schedule(self, key: str, due: datetime, payload: dict[str, Any] | None = None) -> int:
        """Create or move a timer (a reschedule replaces the payload); returns its generation."""
        data = json.dumps(payload or {}, separators=(",", ":"))
        return int(await self._schedule(keys=[], args=self._args(key, _ms(due), data)))

    reschedule = schedule

    async def schedule_many(
        self, items: Iterable[tuple[str, datetime, dict[str, Any] | None]], *, chunk: int = 500
    ) -> list[int]:
        """Schedule many timers, `chunk` per script call (one round trip and one command to
        pack for each chunk); returns their generations in order."""
        generations: list[int] = []
        batch = list(items)
        for start in range(0, len(batch), chunk):
            args: list[Any] = []
            for key, due, payload in batch[start : start + chunk]:
                args += (key, _ms(due), json.dumps(payload or {}, separators=(",", ":")))
            generations.extend(
                int(g) for g in await self._schedule_many(keys=[], args=self._args(*args))
            )
        return generations

    async def cancel(self, key: str) -> bool:
        """Remove a timer; True if it was pending or in flight."""
        return bool(await self._cancel(keys=[], args=self._args(key)))

    async def claim(
        self,
        now: datetime,
        *,
        limit: int = 100,
        lease_seconds: float = 30,
        max_attempts: int | None = None,
    ) -> list[Timer]:
        """Atomically take due timers (and timers whose lease expired) with a lease.

        A timer whose lease has expired `max_attempts` times in all goes to the dead set instead
        of being handed out again (a timer that kills its worker must not kill them all)."""
        args = self._args(_ms(now), limit, max(1, int(lease_seconds * 1000)), max_attempts or 0)
        raw = await self._claim(keys=[], args=args)
        return [
            Timer(
                key=_text(raw[i]),
                payload=_payload(raw[i + 1]),
                generation=int(_text(raw[i + 1]).partition("|")[0]),
                attempt=int(raw[i + 2]),
            )
            for i in range(0, len(raw), 3)
        ]

    async def complete(self, timer: Timer) -> bool:
        """Mark a fired timer done (a no-op if it was rescheduled or cancelled meanwhile)."""
        return bool(await self._complete(keys=[], args=self._args(timer.key, timer.generation)))

    async def complete_many(self, timers: Iterable[Timer]) -> int:
        """complete() for several timers in one round trip; how many were still ours."""
        pairs = [part for t in timers for part in (t.key, t.generation)]
        if not pairs:
            return 0
        return int(await self._complete_many(keys=[], args=self._args(*pairs)))

    async def retry(self, timer: Timer, at: datetime, *, max_attempts: int) -> int:
        """Put a failed timer back for `at`; returns the failures so far, or -1 once
        `max_attempts` is reached and the timer moved to the dead set (0: rescheduled meanwhile)."""
        args = self._args(timer.key, timer.generation, _ms(at), max_attempts)
        return int(await self._retry(keys=[], args=args))

    async def get(self, key: str) -> tuple[datetime | None, dict[str, Any] | None]:
        """The due instant (None while in flight) and payload of a timer."""
        score, data = await self._get(keys=[], args=self._args(key))
        due = _instant(float(score)) if score is not None else None
        return due, (_payload(data) if data is not None else None)

    async def pending(self) -> int:
        """Timers not yet completed (due later, or in flight)."""
        return int(await self.redis.get(self.count_key) or 0)

    async def dead(self) -> dict[str, dict[str, Any]]:
        """Timers that used up their attempts, with their payloads."""
        raw = await self.redis.hgetall(self.dead_key)
        return {_text(k): _payload(v) for k, v in raw.items()}

    async def next_due(self) -> datetime | None:
        """The earliest due instant or lease expiry."""
        candidates = []
        for key in (self.index_key, self.lease_key):
            first = await self.redis.zrange(key, 0, 0, withscores=True)
            if first:
                candidates.append(first[0][1])
        return _instant(float(min(candidates))) if candidates else None


class TimerKind:
    """A typed timer payload: one kind of timer a service arms, with the key and payload it is
    stored under (fixed, so timers pending across a deploy still fire). Each service's timers.py
    declares its kinds as frozen dataclasses over this and a `parse(timer)` that reads them back."""

    @property
    def key(self) -> str:
        raise NotImplementedError

    @property
    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def at(self, due: datetime) -> tuple[str, datetime, dict[str, Any]]:
        """What `Timers.schedule` (and each item of `schedule_many`) takes to arm it at `due`."""
        return self.key, due, self.payload


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
        self._completions: list[Timer] = []
        self._written: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

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
                    extra={
                        "timer": timer.key,
                        "attempt": timer.attempt,
                        "error_class": type(exc).__name__,
                        "dead": outcome == -1,
                    },
                )
                return
            await self._complete(timer)
            self.fired += 1

    async def _complete(self, timer: Timer) -> None:
        """Complete the timer together with the others whose handlers finished in the same turn
        of the event loop (one round trip for all of them); returns once it is written."""
        loop = asyncio.get_running_loop()
        self._completions.append(timer)
        if self._written is None:
            self._written = loop.create_future()
            loop.call_soon(self._start_writing)
        await asyncio.shield(self._written)

    def _start_writing(self) -> None:
        task = asyncio.get_running_loop().create_task(self._write_completions())
        self._tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)

    async def _write_completions(self) -> None:
        written, self._written = self._written, None
        timers, self._completions = self._completions, []
        assert written is not None
        try:
            await self.timers.complete_many(timers)
        except Exception as exc:
            written.set_exception(exc)
        else:
            written.set_result(None)

    async def run_once(self) -> int:
        """Fire every timer due now (in batches); returns how many were claimed."""
        total = 0
        while True:
            batch = await self.timers.claim(
                self.clock.now(),
                limit=self.batch,
                lease_seconds=self.lease_seconds,
                max_attempts=self.max_attempts,
            )
            if not batch:
                return total
            total += len(batch)
            # Let the whole batch finish before raising, so no firing is left running unobserved.
            results = await asyncio.gather(*(self._fire(t) for t in batch), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result

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
