"""Redis state of the escalation service: alerts, codes, indexes, rosters, clinicians.

Every key lives under `<namespace>:escalation`. Changes go through `transact`: WATCH the keys
read, then one MULTI with the writes and the outbox entries, so a crash leaves either the old
state or the new state with its side effects queued, never half of it."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from services.escalation.model import AlertState
from services.escalation.rules import roster as rosters
from services.escalation.rules.codes import candidates
from shared.broker import TransientError

log = logging.getLogger("mtm.escalation.state")

T = TypeVar("T")


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class Keys:
    """Every key name of the service, under one base prefix."""

    base: str

    def alert(self, alert_id: str) -> str:
        return f"{self.base}:alert:{alert_id}"

    def member(self, alert_id: str) -> str:
        """An alert grouped into another: its id -> the open alert's id."""
        return f"{self.base}:member:{alert_id}"

    def dedup(self, dedup_key: str) -> str:
        # Hashed: a dedup key may be long and is built by other services.
        return f"{self.base}:dedup:{sha256(dedup_key.encode()).hexdigest()[:40]}"

    def code(self, code: str) -> str:
        return f"{self.base}:code:{code}"

    def notification(self, notification_id: str) -> str:
        return f"{self.base}:notif:{notification_id}"

    @property
    def open_alerts(self) -> str:
        return f"{self.base}:open"

    def digest(self, site_id: str) -> str:
        return f"{self.base}:digest:{site_id}"

    @property
    def digest_sites(self) -> str:
        return f"{self.base}:digest-sites"

    def roster(self, site_id: str) -> str:
        return f"{self.base}:roster:{site_id}"

    @property
    def fallback(self) -> str:
        return f"{self.base}:network-site"

    def clinician(self, clinician_id: str) -> str:
        return f"{self.base}:clinician:{clinician_id}"

    def roster_seen(self, event_id: str) -> str:
        return f"{self.base}:roster-seen:{event_id}"

    @property
    def unreachable(self) -> str:
        """Hash: clinician id -> why their last page failed for good (cleared by a delivered
        page or a new registration)."""
        return f"{self.base}:unreachable"

    def pages_in_hour(self, kind: str, id_: str, hour: str) -> str:
        """Pages requested for an alert or to a clinician in one clock hour (the caps)."""
        return f"{self.base}:pages:{kind}:{id_}:{hour}"

    def reach_checked(self, site_id: str, local_date: str) -> str:
        return f"{self.base}:reach-checked:{site_id}:{local_date}"


class Store:
    """Reads, and the transaction helper every change goes through."""

    def __init__(self, redis: Redis, base: str, *, retention_seconds: int) -> None:
        self.redis = redis
        self.keys = Keys(base)
        self.retention = retention_seconds

    async def transact(self, body: Callable[[Pipeline], Awaitable[T]], *, attempts: int = 50) -> T:
        """Run `body` (WATCH, read, `pipe.multi()`, queue writes) until it commits unraced.

        A body that returns without calling multi() changes nothing."""
        for _ in range(attempts):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    result = await body(pipe)
                    if pipe.explicit_transaction:
                        await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise TransientError("escalation state too contended; will retry")

    async def alert(
        self, alert_id: str, *, via: Redis | Pipeline | None = None
    ) -> AlertState | None:
        raw = await (via or self.redis).get(self.keys.alert(alert_id))
        return AlertState.model_validate_json(raw) if raw else None

    def put_alert(self, pipe: Pipeline, state: AlertState) -> None:
        """Queue the write of an alert; a closed alert expires after the retention period."""
        key = self.keys.alert(state.alert_id)
        if state.closed:
            pipe.set(key, state.model_dump_json(), ex=self.retention)
            pipe.srem(self.keys.open_alerts, state.alert_id)
        else:
            pipe.set(key, state.model_dump_json())
            if state.status in ("open", "acknowledged"):
                pipe.sadd(self.keys.open_alerts, state.alert_id)

    async def allocate_code(self, alert_id: str, *, hold_seconds: int = 3600) -> str:
        """A code no other alert holds, the same one every time for the same alert.

        Held with an expiry until the alert's transaction makes it permanent, so a code taken
        by a transaction that then lost a race does not stay taken."""
        for code in candidates(alert_id):
            key = self.keys.code(code)
            if await self.redis.set(key, alert_id, nx=True, ex=hold_seconds):
                return code
            if _text(await self.redis.get(key)) == alert_id:
                return code
        raise TransientError("no free alert code; too many open alerts")

    def keep_code(self, pipe: Pipeline, code: str) -> None:
        pipe.persist(self.keys.code(code))

    def quarantine_code(self, pipe: Pipeline, code: str, seconds: int) -> None:
        # The code still points at the closed alert for a while, so a late ACK meets a closed
        # alert instead of a new one that happens to reuse the number.
        if seconds > 0:
            pipe.expire(self.keys.code(code), seconds)
        else:
            pipe.delete(self.keys.code(code))

    async def alert_for_code(self, code: str) -> str | None:
        return _text(await self.redis.get(self.keys.code(code)))

    async def alert_for_notification(self, notification_id: str) -> str | None:
        return _text(await self.redis.get(self.keys.notification(notification_id)))

    async def open_alert_ids(self) -> list[str]:
        return sorted(_text(m) or "" for m in await self.redis.smembers(self.keys.open_alerts))

    async def digest_sites(self) -> list[str]:
        return sorted(_text(m) or "" for m in await self.redis.smembers(self.keys.digest_sites))

    async def digest_size(self, site_id: str) -> int:
        return int(await self.redis.scard(self.keys.digest(site_id)))

    async def roster(self, site_id: str) -> rosters.Roster | None:
        raw = await self.redis.get(self.keys.roster(site_id))
        return rosters.from_dict(json.loads(raw)) if raw else None

    async def network_roster(self, default_site: str) -> rosters.Roster | None:
        """The network-wide on-call: the roster last published as such, else the configured one."""
        flagged = _text(await self.redis.get(self.keys.fallback))
        return await self.roster(flagged or default_site)

    async def unreachable(self, *, via: Redis | Pipeline | None = None) -> dict[str, str]:
        raw = await (via or self.redis).hgetall(self.keys.unreachable)
        return {_text(k) or "": _text(v) or "" for k, v in raw.items()}

    async def rosters(self) -> list[rosters.Roster]:
        """Every stored roster (the reach check looks at each)."""
        found = []
        async for key in self.redis.scan_iter(match=self.keys.roster("*"), count=200):
            raw = await self.redis.get(key)
            if raw:
                found.append(rosters.from_dict(json.loads(raw)))
        return found

    async def clinician(self, clinician_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.clinician(clinician_id))
        return json.loads(raw) if raw else None
