"""Idempotency claims on Redis: claim a business key before a side effect, record completion after.

    claim = await claims.claim("notif:123", lease_seconds=60)
    if claim.state is ClaimState.ACQUIRED:
        ... do the side effect ...
        await claims.complete("notif:123", result="SM..")
    elif claim.state is ClaimState.DONE:
        ... already done; claim.result holds what was recorded ...
    else:  # IN_PROGRESS: another worker holds the lease (or one died holding it)

A lease that is not completed expires, so a worker that died mid-way does not block the key
forever; the caller decides what an expired lease means for its side effect. Redis writes that
must land together with the completion go in the same MULTI via `complete(..., pipe=)`.
"""

from __future__ import annotations

import enum
import os
import socket
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

_PENDING = "pending:"
_DONE = "done:"

# Complete only if we still hold the lease (or nobody does), never over another worker's lease.
_COMPLETE = """
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] or string.sub(v, 1, 5) == 'done:' then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
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


class Claims:
    """Atomic claims (`SET NX EX`) under one key prefix, with completion records."""

    def __init__(self, redis: Redis, prefix: str, *, done_ttl_seconds: int = 30 * 24 * 3600) -> None:
        self.redis = redis
        self.prefix = prefix
        self.done_ttl = done_ttl_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._complete = redis.register_script(_COMPLETE)

    def key(self, name: str) -> str:
        return f"{self.prefix}:claim:{name}"

    async def claim(self, name: str, *, lease_seconds: int = 60) -> Claim:
        """Try to take the key for `lease_seconds`."""
        key = self.key(name)
        if await self.redis.set(key, _PENDING + self.owner, nx=True, ex=lease_seconds):
            return Claim(ClaimState.ACQUIRED)
        value = await self.redis.get(key)
        if value is None:  # expired between the two calls
            return await self.claim(name, lease_seconds=lease_seconds)
        text = value.decode() if isinstance(value, bytes) else str(value)
        if text.startswith(_DONE):
            return Claim(ClaimState.DONE, text[len(_DONE):])
        return Claim(ClaimState.IN_PROGRESS)

    async def complete(self, name: str, result: str = "", *, pipe: Pipeline | None = None) -> None:
        """Record that the side effect happened (atomically with `pipe`'s commands if given)."""
        args = [_PENDING + self.owner, _DONE + result, self.done_ttl]
        if pipe is not None:
            await self._complete(keys=[self.key(name)], args=args, client=pipe)
            return
        await self._complete(keys=[self.key(name)], args=args)

    async def release(self, name: str) -> None:
        """Give the key back without completing (the side effect did not happen)."""
        key = self.key(name)
        value = await self.redis.get(key)
        if value is not None and (value.decode() if isinstance(value, bytes) else value) == _PENDING + self.owner:
            await self.redis.delete(key)

    async def result(self, name: str) -> str | None:
        """The recorded result of a completed key, or None."""
        value = await self.redis.get(self.key(name))
        text = value.decode() if isinstance(value, bytes) else value
        return text[len(_DONE):] if text and text.startswith(_DONE) else None

    async def once(self, name: str, *, ttl_seconds: int | None = None) -> bool:
        """A one-shot marker: True the first time a key is seen (for side-effect-free dedupe)."""
        return bool(await self.redis.set(self.key(name), _DONE, nx=True, ex=ttl_seconds or self.done_ttl))
