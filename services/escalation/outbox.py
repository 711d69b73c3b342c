"""The transactional outbox, the escalation's publish-once: side effects queued in the same MULTI
as the state they follow from.

A change writes its state and appends its side effects (events to publish, timers to schedule
or cancel) to the outbox list of its stream (`alert:<id>`, `digest:<site>`, `roster:<site>`, ...)
in one transaction, then flushes the list in order. A crash after the commit leaves the entries
in Redis; the next flush of the stream (a redelivered record, a re-fired timer, or the upkeep
loop) carries them out. Entries are removed only after they ran, so an entry may run twice:
events keep their ids, so a re-published page carries the same notification_id (the dispatcher
sends it once) and audit consumers drop the duplicate event_id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared.broker import EventBus
from shared.clock import Clock
from shared.events import Event, topic_for
from shared.idempotency import DELETE_IF_EQUAL
from shared.timers import Timers

log = logging.getLogger("mtm.escalation.outbox")

_TRIM = """
redis.call('LTRIM', KEYS[1], ARGV[1], -1)
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[2]) end
return 1
"""

Op = dict[str, Any]


def alert_stream(alert_id: str) -> str:
    """The stream of an alert's side effects."""
    return f"alert:{alert_id}"


def digest_stream(site_id: str) -> str:
    """The stream of a site's digest."""
    return f"digest:{site_id}"


def publish(event: Event) -> Op:
    """An entry that publishes an event on its topic, keyed as EventBus would key it."""
    return {
        "op": "publish",
        "topic": topic_for(event),
        "key": event.kafka_key().decode(),
        "cid": event.correlation_id or str(event.event_id),
        "body": event.model_dump(mode="json"),
    }


def schedule(timers: str, key: str, due: datetime, payload: dict[str, Any]) -> Op:
    """An entry that (re)schedules a timer."""
    return {
        "op": "schedule",
        "timers": timers,
        "key": key,
        "due": due.isoformat(),
        "payload": payload,
    }


def cancel(timers: str, key: str) -> Op:
    """An entry that cancels a timer."""
    return {"op": "cancel", "timers": timers, "key": key}


class Outbox:
    """Stages entries inside a transaction; flushes them afterwards; a loop retries leftovers."""

    def __init__(
        self,
        redis: Redis,
        base: str,
        *,
        bus: EventBus,
        timers: Mapping[str, Timers],
        clock: Clock,
        lock_seconds: float = 10,
        batch: int = 50,
    ) -> None:
        self.redis = redis
        self.base = base
        self.index = f"{base}:outbox"
        self.bus = bus
        self.timers = timers
        self.clock = clock
        self.lock_ms = int(lock_seconds * 1000)
        self.batch = batch
        self._trim = redis.register_script(_TRIM)
        self._release = redis.register_script(DELETE_IF_EQUAL)

    def _list(self, stream: str) -> str:
        return f"{self.base}:outbox:{stream}"

    def stage(self, pipe: Pipeline, stream: str, ops: list[Op]) -> None:
        """Queue entries on a pipeline that is already in MULTI."""
        if not ops:
            return
        pipe.rpush(self._list(stream), *(json.dumps(op, separators=(",", ":")) for op in ops))
        pipe.zadd(self.index, {stream: self.clock.now().timestamp() * 1000}, nx=True)

    async def publish(self, stream: str, events: Sequence[Event]) -> None:
        """Publish events that follow from no state change of their own, through the outbox all
        the same: a crash between the two leaves them for the relay loop."""
        if not events:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.multi()
            self.stage(pipe, stream, [publish(e) for e in events])
            await pipe.execute()
        await self.flush(stream)

    async def _run(self, op: Op) -> None:
        kind = op["op"]
        if kind == "publish":
            await self.bus.broker.publish(
                op["body"],
                topic=self.bus.topic(op["topic"]),
                key=op["key"].encode(),
                correlation_id=op["cid"],
            )
        elif kind == "schedule":
            due = datetime.fromisoformat(op["due"]).astimezone(UTC)
            await self.timers[op["timers"]].schedule(op["key"], due, op["payload"])
        elif kind == "cancel":
            await self.timers[op["timers"]].cancel(op["key"])
        else:
            log.error("unknown outbox entry dropped", extra={"op": kind})

    async def flush(self, stream: str, *, wait_seconds: float = 1.0) -> bool:
        """Carry out a stream's entries in order; False if another flusher holds the stream."""
        lock = f"{self.base}:outbox-lock:{stream}"
        token = uuid.uuid4().hex
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while not await self.redis.set(lock, token, nx=True, px=self.lock_ms):
            # Another flusher is on it; it may have read the list before our entries landed.
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.02)
        try:
            key = self._list(stream)
            while True:
                raw = await self.redis.lrange(key, 0, self.batch - 1)
                for item in raw:
                    await self._run(json.loads(item))
                await self._trim(keys=[key, self.index], args=[len(raw), stream])
                if len(raw) < self.batch:
                    return True
        finally:
            await self._release(keys=[lock], args=[token])

    async def pending_streams(self) -> list[str]:
        members = await self.redis.zrange(self.index, 0, -1)
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    async def flush_all(self) -> int:
        """Flush every stream with entries left; returns how many streams were flushed."""
        done = 0
        for stream in await self.pending_streams():
            if await self.flush(stream, wait_seconds=0):
                done += 1
        return done
