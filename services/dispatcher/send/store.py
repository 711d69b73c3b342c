"""Send state on Redis: claims, dedup keys, in-flight attempts, SID map, cap counters.

A send goes: claim `send:<key>` (a short lease, renewed while the worker is alive; read with
any earlier attempt and the recipient in one round trip) -> take the business key, record the
attempt (what we are about to send, and since when) and reserve the rate slot (one script) ->
call Twilio -> in one script, guarded by the claim, complete it, map SID -> notification, count
the cap, remember the prompt, drop the attempt. A crash anywhere leaves either no attempt
(nothing was sent) or an attempt record, which makes the next try look Twilio up first.

The same transaction puts the SID on the `unsettled` list (due for a status look-up after
`reconcile_after` seconds); a final status, from a callback or from the look-up, takes it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from services.dispatcher.rules.policy import Counts
from services.dispatcher.send.limiter import RESERVE_FUNCTION, RateLimiter
from services.dispatcher.sender import Outbound
from shared.clock import Clock, SystemClock
from shared.idempotency import DELETE_IF_EQUAL, Claim, Claims

log = logging.getLogger("mtm.dispatcher")

DAY = 24 * 3600
REQUEST_TTL = 8 * DAY
SID_TTL = 30 * DAY
ATTEMPT_TTL = 7 * DAY
DEDUP_TTL = 30 * DAY

# Take up to ARGV[2] SIDs due by ARGV[1] (ms) and hold them until ARGV[3] (ms): another process
# does not look the same SIDs up meanwhile, and a crashed one's SIDs come back after the lease.
_TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, sid in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], sid) end
return due
"""


# Take the business key (KEYS[1]) for ARGV[1] unless another notification holds it; then record
# the attempt (KEYS[2]) and reserve the sender's rate slot (KEYS[3]). Returns {holder, wait ms};
# a wait of -1 means another notification holds the key and nothing was written.
_BEGIN_SEND = (
    RESERVE_FUNCTION
    + """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {holder, -1} end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return {ARGV[1], reserve(KEYS[3], tonumber(ARGV[5]), tonumber(ARGV[6]))}
"""
)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Attempt:
    """A send that was started: exactly what went to Twilio, and when (wall clock)."""

    started_at: str
    to: str
    body: str
    from_number: str | None
    messaging_service_sid: str | None

    def outbound(self) -> Outbound:
        return Outbound(
            to=self.to,
            body=self.body,
            from_number=self.from_number,
            messaging_service_sid=self.messaging_service_sid,
        )


def _attempt_json(message: Outbound, started: datetime) -> str:
    record = Attempt(
        started_at=started.isoformat(),
        to=message.to,
        body=message.body,
        from_number=message.from_number,
        messaging_service_sid=message.messaging_service_sid,
    )
    return json.dumps(asdict(record))


def _attempt_of(raw: Any) -> Attempt | None:
    return Attempt(**json.loads(raw)) if raw else None


@dataclass(frozen=True)
class SidInfo:
    """What a Twilio SID belongs to (for status callbacks and the one 30003 retry)."""

    send_key: str
    notification_id: str
    attempt: int
    request: str
    """The NotificationRequested JSON (template variables carry no PHI)."""


@dataclass(frozen=True)
class CapKeys:
    day: str
    week: str


class SendStore:
    """Send claims and everything recorded with them."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        clock: Clock | None = None,
        reconcile_after: float = 900.0,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.claims = Claims(redis, prefix)
        self.clock = clock or SystemClock()
        self.reconcile_after = reconcile_after
        self._take_due = redis.register_script(_TAKE_DUE)
        self._begin_send = redis.register_script(_BEGIN_SEND)
        self._drop_if_ours = redis.register_script(DELETE_IF_EQUAL)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _dedup(self, dedup_key: str) -> str:
        return self._key("dedup", sha256(dedup_key.encode()).hexdigest()[:40])

    async def claim(self, send_key: str, *, lease_seconds: float) -> Claim:
        return await self.claims.claim(f"send:{send_key}", lease_seconds=lease_seconds)

    def queue_claim(self, pipe: Pipeline, send_key: str, *, lease_seconds: float) -> None:
        """Queue the claim and the read of an earlier attempt on a caller's pipeline;
        `claimed(*results)` turns the two results into (claim, attempt). If Redis lost the
        claim script (a restart), execute raises NoScriptError and the caller uses claim()."""
        self.claims.queue_claim(pipe, f"send:{send_key}", lease_seconds=lease_seconds)
        pipe.get(self._key("attempt", send_key))

    def claimed(self, raw_claim: Any, raw_attempt: Any) -> tuple[Claim, Attempt | None]:
        return self.claims.claim_of(raw_claim), _attempt_of(raw_attempt)

    async def release(self, send_key: str) -> None:
        await self.claims.release(f"send:{send_key}")

    @contextlib.asynccontextmanager
    async def lease(self, send_key: str, *, lease_seconds: float) -> AsyncIterator[None]:
        """Keep renewing our claim while the block runs, so a short lease only ever expires
        when its worker is gone (a crashed worker blocks a page for one lease, not minutes)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(lease_seconds / 3)
                if not await self.claims.renew(f"send:{send_key}", lease_seconds=lease_seconds):
                    log.warning("send lease lost", extra={"send_key": send_key})
                    return

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def put_request(self, send_key: str, request_json: str) -> None:
        """Keep a request for a timer to re-run (timer payloads stay a few ids)."""
        await self.redis.set(self._key("req", send_key), request_json, ex=REQUEST_TTL)

    async def request(self, send_key: str) -> str | None:
        raw = await self.redis.get(self._key("req", send_key))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def finish(self, send_key: str, result: str) -> None:
        """Complete a claim without a send (suppressed, failed)."""
        await self.claims.complete(f"send:{send_key}", result)

    async def begin_send(
        self,
        send_key: str,
        *,
        dedup_key: str,
        notification_id: str,
        message: Outbound,
        started: datetime,
        limiter: RateLimiter,
        sender: str,
    ) -> float | None:
        """Take the business key, record the attempt and reserve the rate slot, in one step.
        None: another notification holds the business key (nothing recorded); otherwise the
        seconds to wait for the slot."""
        _, wait = await self._begin_send(
            keys=[self._dedup(dedup_key), self._key("attempt", send_key), limiter.key(sender)],
            args=[
                notification_id,
                DEDUP_TTL,
                _attempt_json(message, started),
                ATTEMPT_TTL,
                limiter.now_ms(),
                limiter.interval_ms,
            ],
        )
        if int(wait) < 0:
            return None
        return limiter.seconds(wait)

    async def hold(self, send_key: str) -> int:
        """Count one more hold of a send Twilio refused for our configuration (the back-off)."""
        key = self._key("held", send_key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, REQUEST_TTL)
            held, _ = await pipe.execute()
        return int(held)

    async def open_fault(self, name: str, *, seconds: int) -> bool:
        """True for the first report of configuration fault `name` in `seconds` (one
        OperationalWarning per fault, however many sends it refuses)."""
        return bool(await self.redis.set(self._key("fault", name), "1", nx=True, ex=seconds))

    async def forget_fault(self, name: str) -> None:
        """The warning of `name` did not go out: the next refusal raises it."""
        await self.redis.delete(self._key("fault", name))

    async def drop_dedup(self, dedup_key: str, notification_id: str) -> None:
        """Give the business key back after a send that did not happen (only if it is ours)."""
        await self._drop_if_ours(keys=[self._dedup(dedup_key)], args=[notification_id])

    async def attempt(self, send_key: str) -> Attempt | None:
        return _attempt_of(await self.redis.get(self._key("attempt", send_key)))

    async def begin_attempt(self, send_key: str, message: Outbound, started: datetime) -> None:
        """Record an attempt on its own (tests set up a crashed send with it)."""
        key = self._key("attempt", send_key)
        await self.redis.set(key, _attempt_json(message, started), ex=ATTEMPT_TTL)

    async def drop_attempt(self, send_key: str) -> None:
        await self.redis.delete(self._key("attempt", send_key))

    async def sid_info(self, sid: str) -> SidInfo | None:
        raw = await self.redis.get(self._key("sid", sid))
        return SidInfo(**json.loads(raw)) if raw else None

    def cap_keys(self, kind: str, id_: str, day: str, week: str) -> CapKeys:
        return CapKeys(
            day=self._key("cap", kind, id_, "d", day), week=self._key("cap", kind, id_, "w", week)
        )

    async def cap_counts(self, keys: CapKeys, notification_id: str) -> Counts:
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_cap_counts(pipe, keys, notification_id)
            return self.counts_of(*await pipe.execute())

    @staticmethod
    def queue_cap_counts(pipe: Pipeline, keys: CapKeys, notification_id: str) -> None:
        """Queue the three reads `counts_of` turns into Counts, on a caller's pipeline."""
        pipe.scard(keys.day)
        pipe.scard(keys.week)
        pipe.sismember(keys.week, notification_id)

    @staticmethod
    def counts_of(day: Any, week: Any, member: Any) -> Counts:
        return Counts(day=int(day), week=int(week), already_counted=bool(member))

    def pipeline(self) -> Pipeline:
        """A recorder for the writes `record_sent` applies with the send's completion."""
        return self.redis.pipeline(transaction=False)

    async def record_sent(
        self, pipe: Pipeline, *, send_key: str, sid: str, info: SidInfo, caps: CapKeys | None
    ) -> bool:
        """Apply the caller's queued writes and the send's records together with the claim's
        completion, in one step: True if they were applied, False if the claim is no longer ours
        (nothing was written)."""
        pipe.set(self._key("sid", sid), json.dumps(asdict(info)), ex=SID_TTL)
        now = self.clock.now()
        pipe.zadd(self._key("unsettled"), {sid: _ms(now) + int(self.reconcile_after * 1000)})
        pipe.hset(self._key("unsettled", "since"), sid, _ms(now))
        pipe.delete(self._key("attempt", send_key))
        pipe.delete(self._key("req", send_key))
        if caps is not None:
            pipe.sadd(caps.day, info.notification_id)
            pipe.expire(caps.day, 2 * DAY)
            pipe.sadd(caps.week, info.notification_id)
            pipe.expire(caps.week, 8 * DAY)
        return await self.claims.complete_with(f"send:{send_key}", f"sent:{sid}", pipe)

    async def settle(self, sid: str) -> None:
        """The SID has its final status: no look-up needed any more."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._key("unsettled"), sid)
            pipe.hdel(self._key("unsettled", "since"), sid)
            await pipe.execute()

    async def take_unsettled(self, now: datetime, *, limit: int, lease_seconds: float) -> list[str]:
        """SIDs due for a status look-up, held for `lease_seconds` by this caller."""
        hold = _ms(now) + int(lease_seconds * 1000)
        raw = await self._take_due(keys=[self._key("unsettled")], args=[_ms(now), limit, hold])
        return [r.decode() if isinstance(r, bytes) else str(r) for r in raw]

    async def unsettled_since(self, sid: str) -> datetime | None:
        """When the SID was recorded (None once settled)."""
        raw = await self.redis.hget(self._key("unsettled", "since"), sid)
        return datetime.fromtimestamp(int(raw) / 1000, UTC) if raw is not None else None

    async def recheck_unsettled(self, sid: str, at: datetime) -> None:
        """Look the SID up again at `at`, unless a final status settled it meanwhile."""
        await self.redis.zadd(self._key("unsettled"), {sid: _ms(at)}, xx=True)

    async def unsettled(self) -> int:
        """How many sent SIDs still wait for a final status."""
        return int(await self.redis.zcard(self._key("unsettled")))
