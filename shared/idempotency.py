"""Idempotency claims on Redis: claim a business key before a side effect, record completion after.

    claim = await claims.claim("notif:123", lease_seconds=60)
    if claim.state is ClaimState.ACQUIRED:
        ... do the side effect ...
        await claims.complete("notif:123", result="SM..")
    elif claim.state is ClaimState.DONE:
        ... already done; claim.result holds what was recorded ...
    else:  # IN_PROGRESS: another worker holds the lease (or one died holding it)

A lease that is not completed expires, so a worker that died mid-way does not block the key
forever; the caller decides what an expired lease means for its side effect.

When the side effect is itself a set of Redis writes, queue them on a transactional pipeline and
let `complete(..., pipe=)` guard it: the writes and the completion record then land together, and
only while this owner still holds the claim (or nobody does), so they land at most once:

    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(counts_key, "sent", 1)
        if await claims.complete(name, pipe=pipe):
            await pipe.execute()  # all or nothing; WATCH error if the claim moved in between

`complete_with` does the same in one round trip (a script instead of WATCH, GET and MULTI/EXEC),
for writes of one key each, queued on a plain pipeline used only as a recorder:

    async with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(counts_key, "sent", 1)
        applied = await claims.complete_with(name, "sent", pipe)
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from shared.broker import InvalidEvent, TransientError
from shared.events import Event

log = logging.getLogger("mtm.idempotency")
T = TypeVar("T")

_PENDING = "pending:"
_DONE = "done:"

# SET NX or report what holds the key, in one step (no gap in which the key can expire).
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
return {0, redis.call('GET', KEYS[1])}
"""

# Complete only if we hold the lease or nobody does; never over another owner's lease, and never
# over an earlier completion (whose result stays). Completing twice with one result is a no-op.
_COMPLETE = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[2] then return 1 end
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""

# Apply the queued single-key writes and the completion only if we hold the lease or nobody does
# (as _COMPLETE). KEYS[2..] are the writes' keys, in order; ARGV[4..] per write: the command, the
# count of its other arguments, the arguments.
_COMPLETE_WITH = """
local unpack = unpack or table.unpack
local v = redis.call('GET', KEYS[1])
if v ~= false and v ~= ARGV[1] then return 0 end
local a, k = 4, 2
while a <= #ARGV do
  local n = tonumber(ARGV[a + 1])
  local args = {KEYS[k]}
  for i = 1, n do args[i + 1] = ARGV[a + 1 + i] end
  redis.call(ARGV[a], unpack(args))
  a, k = a + 2 + n, k + 1
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""

SINGLE_KEY_WRITES = frozenset(
    {"SET", "DEL", "EXPIRE", "LPUSH", "RPUSH", "LTRIM", "SADD", "SREM", "ZADD", "ZREM", "HSET"}
    | {"HDEL", "HINCRBY", "INCR", "INCRBY", "PEXPIRE"}
)
"""Commands `complete_with` accepts: each writes the one key that is its first argument."""

DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""Delete KEYS[1] only while it holds ARGV[1] (a release; any compare-and-delete)."""


# Extend a lease only while it is still ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class ClaimState(enum.Enum):
    ACQUIRED = "acquired"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    result: str | None = None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Claims:
    """Atomic claims (`SET NX PX`) under one key prefix, with completion records."""

    def __init__(
        self, redis: Redis, prefix: str, *, done_ttl_seconds: int = 30 * 24 * 3600
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.done_ttl = done_ttl_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(DELETE_IF_EQUAL)
        self._complete_with = redis.register_script(_COMPLETE_WITH)

    def key(self, name: str) -> str:
        return f"{self.prefix}:claim:{name}"

    async def claim(self, name: str, *, lease_seconds: float = 60) -> Claim:
        """Try to take the key for `lease_seconds`."""
        lease_ms = max(1, int(lease_seconds * 1000))
        raw = await self._claim(keys=[self.key(name)], args=[_PENDING + self.owner, lease_ms])
        return self.claim_of(raw)

    def queue_claim(self, pipe: Pipeline, name: str, *, lease_seconds: float = 60) -> None:
        """Queue claim() on a caller's (non-transactional) pipeline; `claim_of(result)` reads it.

        By EVALSHA alone (a Script on a pipeline costs a SCRIPT EXISTS round trip per execute):
        if Redis lost the script (a restart), execute raises NoScriptError, nothing was claimed,
        and the caller calls claim(), which loads it again."""
        lease_ms = max(1, int(lease_seconds * 1000))
        pipe.evalsha(self._claim.sha, 1, self.key(name), _PENDING + self.owner, lease_ms)

    @staticmethod
    def claim_of(raw: Any) -> Claim:
        if int(raw[0]) == 1:
            return Claim(ClaimState.ACQUIRED)
        text = _text(raw[1])
        if text.startswith(_DONE):
            return Claim(ClaimState.DONE, text[len(_DONE) :])
        return Claim(ClaimState.IN_PROGRESS)

    async def complete(self, name: str, result: str = "", *, pipe: Pipeline | None = None) -> bool:
        """Record that the side effect happened; False if another owner holds or completed it.

        With `pipe` (a transactional pipeline holding the caller's writes): True means the
        completion is queued behind a WATCH on the claim, so `pipe.execute()` applies the writes
        and the completion together or raises WatchError and applies nothing. False means the
        claim is no longer ours and the queued writes were discarded."""
        key = self.key(name)
        done = _DONE + result
        if pipe is None:
            args: list[str | int] = [_PENDING + self.owner, done, self.done_ttl]
            return bool(await self._complete(keys=[key], args=args))
        if not pipe.is_transaction:
            raise ValueError("complete(pipe=) needs redis.pipeline(transaction=True)")
        # WATCH and GET run at once on the pipeline's connection; the caller's queued writes are
        # set aside meanwhile and put back inside the MULTI after the check.
        queued, pipe.command_stack = pipe.command_stack, []
        try:
            await pipe.watch(key)
            value = await pipe.get(key)
        except BaseException:
            await pipe.reset()
            raise
        if value is not None and _text(value) != _PENDING + self.owner:
            await pipe.reset()
            return False
        pipe.multi()
        pipe.command_stack.extend(queued)
        pipe.set(key, done, ex=self.done_ttl)
        return True

    def queue_complete(self, pipe: Pipeline, name: str, result: str = "") -> None:
        """Queue complete() (without `pipe=`) on a caller's non-transactional pipeline, by
        EVALSHA alone; if Redis lost the script, execute raises NoScriptError and the caller
        completes with complete(), which loads it again (completing twice is a no-op)."""
        pipe.evalsha(
            self._complete.sha,
            1,
            self.key(name),
            _PENDING + self.owner,
            _DONE + result,
            self.done_ttl,
        )

    async def complete_with(self, name: str, result: str, pipe: Pipeline) -> bool:
        """Apply the writes queued on `pipe` (a non-transactional pipeline, used only to record
        them; it is emptied) together with the completion, in one round trip and only while
        this owner holds the claim or nobody does. False: the claim is no longer ours, nothing
        was written. Every write must be one of SINGLE_KEY_WRITES."""
        keys: list[Any] = [self.key(name)]
        args: list[Any] = [_PENDING + self.owner, _DONE + result, self.done_ttl]
        queued, pipe.command_stack = pipe.command_stack, []
        for command, _options in queued:
            verb = str(command[0]).upper()
            if verb not in SINGLE_KEY_WRITES or len(command) < 2:
                raise ValueError(f"complete_with cannot apply {verb}")
            if verb == "DEL" and len(command) > 2:
                raise ValueError("complete_with applies DEL of one key at a time")
            keys.append(command[1])
            args.extend((verb, len(command) - 2, *command[2:]))
        return bool(await self._complete_with(keys=keys, args=args))

    async def release(self, name: str) -> bool:
        """Give the key back without completing (the side effect did not happen)."""
        return bool(await self._release(keys=[self.key(name)], args=[_PENDING + self.owner]))

    async def renew(self, name: str, *, lease_seconds: float) -> bool:
        """Extend our lease on a key (False if it expired or is no longer ours)."""
        args: list[str | int] = [_PENDING + self.owner, max(1, int(lease_seconds))]
        return bool(await self._renew(keys=[self.key(name)], args=args))

    async def result(self, name: str) -> str | None:
        """The recorded result of a completed key, or None."""
        value = await self.redis.get(self.key(name))
        text = _text(value) if value is not None else None
        return text[len(_DONE) :] if text and text.startswith(_DONE) else None

    async def once(self, name: str, *, ttl_seconds: int | None = None) -> bool:
        """A one-shot marker: True the first time a key is seen (for side-effect-free dedupe)."""
        ttl = ttl_seconds or self.done_ttl
        return bool(await self.redis.set(self.key(name), _DONE, nx=True, ex=ttl))


class ClaimBusy(TransientError):
    """Another worker holds the claim (or died holding it, and its lease has not run out yet):
    the record or timer is tried again later."""


class Publisher(Protocol):
    async def publish(self, event: Event, *, topic: str | None = None) -> None: ...


class AlongWrites(Protocol):
    """Idempotent writes that can ride on another round trip (queue) or go alone (write)."""

    def queue(self, pipe: Pipeline) -> None: ...

    async def write(self) -> None: ...


@dataclass
class Once:
    """The one way a service does something once: handle a business key once (`claimed`), publish
    a derived event once (`publish`), or commit a state change once (`commit`). Each claims the
    key with a lease first; what completes the claim is the proof it happened, and a failure
    releases it so the redelivery or the re-fired timer does it again."""

    claims: Claims
    lease_seconds: float = 30

    async def _take(self, name: str) -> bool:
        claim = await self.claims.claim(name, lease_seconds=self.lease_seconds)
        if claim.state is ClaimState.IN_PROGRESS:
            raise ClaimBusy(name)
        return claim.state is ClaimState.ACQUIRED

    @asynccontextmanager
    async def claimed(self, name: str) -> AsyncIterator[bool]:
        """True when this caller owns `name` (do the work in the block); False when it was done
        before. Raises ClaimBusy while another worker holds it."""
        if not await self._take(name):
            log.info("already handled", extra={"claim": name})
            yield False
            return
        try:
            yield True
        except BaseException:
            with suppress(Exception):  # the lease expires anyway if Redis is the problem
                await self.claims.release(name)
            raise
        await self.claims.complete(name)

    async def done(self, name: str) -> bool:
        """Whether `name` was completed."""
        return await self.claims.result(name) is not None

    async def publish(
        self, name: str, event: Event, bus: Publisher, *, along: AlongWrites | None = None
    ) -> bool:
        """Publish `event` under the claim `name`: True if published now, False if it was before.
        `along`: writes that go with the claim's completion in one round trip (when published
        now; the caller writes them itself otherwise)."""
        if not await self._take(name):
            return False
        try:
            await bus.publish(event)
        except BaseException:
            await self.claims.release(name)
            raise
        if along is None:
            await self.claims.complete(name)
            return True
        try:
            async with self.claims.redis.pipeline(transaction=False) as pipe:
                self.claims.queue_complete(pipe, name)
                along.queue(pipe)
                await pipe.execute()
        except NoScriptError:  # Redis restarted and lost a script: both again, one by one
            await self.claims.complete(name)
            await along.write()
        return True

    async def commit(self, name: str, change: Callable[[], Awaitable[T | None]]) -> T | None:
        """Run `change` under the claim `name` unless it ran before. The change completes the
        claim itself, in the transaction of its state (`Claims.complete(name, pipe=)`), so the
        state and the proof land together; one that returns None (it changed nothing) or raises
        gives the claim back. A claim done before returns None."""
        if not await self._take(name):
            return None
        try:
            result = await change()
        except BaseException:
            await self.claims.release(name)
            raise
        if result is None:
            await self.claims.release(name)
        return result


# Remember what an event id meant (first sight), or report what it meant before.
_ADMIT = """
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return false
end
if v == ARGV[1] then return false end
return v
"""

EVENT_LEDGER_TTL_SECONDS = 14 * 24 * 3600
"""How long an event id's meaning is remembered (longer than any redelivery or replay)."""


def fingerprint(event: Event) -> str:
    """What an event says, as `<event_type>:<hash>`: its whole content except `occurred_at` (a
    service re-publishing a derived event after a crash stamps it anew)."""
    content = event.model_dump(mode="json", exclude={"occurred_at"})
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return f"{event.event_type}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


class EventLedger:
    """One event id, one event: the first content seen under an id is remembered, and a record
    that reuses the id for another type or other content is refused (InvalidEvent, so it is
    dead-lettered with the reason) instead of being skipped as a duplicate without a trace.

    Ids are remembered per partition key (the patient, the clinician, the site): one key's
    records arrive in one order for every consumer group, so every service refuses the same
    record of two that share an id, and none applies what another refused."""

    def __init__(
        self, redis: Redis, prefix: str, *, ttl_seconds: int = EVENT_LEDGER_TTL_SECONDS
    ) -> None:
        self.prefix = prefix
        self.ttl = ttl_seconds
        self._admit = redis.register_script(_ADMIT)

    def key(self, event: Event) -> str:
        scope = hashlib.sha256(event.kafka_key()).hexdigest()[:16]
        return f"{self.prefix}:event:{scope}:{event.event_id}"

    async def admit(self, event: Event) -> None:
        """Pass an event seen for the first time or seen before with this very content; raise
        InvalidEvent for one whose id already stood for something else."""
        earlier = await self._admit(keys=[self.key(event)], args=[fingerprint(event), self.ttl])
        if earlier is None:
            return
        first = _text(earlier).split(":", 1)[0]
        same_type = first == event.event_type
        raise InvalidEvent(
            f"event_id {event.event_id} already identifies "
            + (f"another {first} with different content" if same_type else f"a {first}")
            + f"; this {event.event_type} is refused (an event id must identify one event)"
        )
