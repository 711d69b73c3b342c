"""Check-in state on Redis: plans, sessions with what they last published, consent, a lock.

Keys under `<namespace>:symptoms`: `ciplans:<patient>` (hash kind -> plan), `cisession:<session>`
(the session and its outbox), `ciopen:<patient>` (the open session), `ciprofile:<patient>`
(zone, site, check-in consent), `cilock:<patient>`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from services.symptoms.rules.checkin_schedule import Plan
from services.symptoms.rules.checkin_session import Session, Step
from shared.broker import TransientError
from shared.events import Event, parse_event, topic_for

SESSION_TTL = timedelta(days=30)
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _plan_json(plan: Plan) -> str:
    data = asdict(plan)
    data["start"] = plan.start.isoformat()
    data["end"] = plan.end.isoformat() if plan.end else None
    return json.dumps(data)


def _plan(raw: bytes | str) -> Plan:
    data = json.loads(_text(raw))
    data["start"] = date.fromisoformat(data["start"])
    data["end"] = date.fromisoformat(data["end"]) if data.get("end") else None
    return Plan(**data)


def _session_json(s: Session) -> dict[str, Any]:
    data = asdict(s)
    data["opened_at"] = s.opened_at.isoformat()
    data["expires_at"] = s.expires_at.isoformat()
    data["chosen"] = list(s.chosen)
    return data


def _session(data: dict[str, Any]) -> Session:
    step = data.get("step")
    return Session(
        **{
            **data,
            "opened_at": datetime.fromisoformat(data["opened_at"]),
            "expires_at": datetime.fromisoformat(data["expires_at"]),
            "step": Step(**step) if step else None,
            "chosen": tuple(data.get("chosen", ())),
        }
    )


@dataclass(frozen=True)
class Profile:
    """What check-ins need about the patient besides the plans."""

    zone: str | None = None
    site_id: str | None = None
    consent: str | None = None
    """granted, revoked, not_granted (enrolled without check-ins), or None (unknown: the
    dispatcher's consent ledger decides)."""


class CheckinStore:
    """Reads and writes one patient's check-in state; mutate it only under `lock`."""

    def __init__(self, redis: Redis, prefix: str, *, lock_seconds: float = 30) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lock_seconds = lock_seconds
        self._release = redis.register_script(_RELEASE)

    def _key(self, kind: str, id_: str) -> str:
        return f"{self.prefix}:{kind}:{id_}"

    @asynccontextmanager
    async def lock(self, patient_id: str) -> AsyncIterator[None]:
        """Serialize the patient's answers, timers and consent changes (an answer and the
        expiry of the same session must never both win). A dead holder frees it on expiry."""
        key, token = self._key("cilock", patient_id), uuid.uuid4().hex
        deadline = time.monotonic() + self.lock_seconds + 1
        while not await self.redis.set(key, token, nx=True, px=int(self.lock_seconds * 1000)):
            if time.monotonic() > deadline:
                raise TransientError("check-in state is locked; try again later")
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            await self._release(keys=[key], args=[token])

    # -- plans and profile

    async def plans(self, patient_id: str) -> dict[str, Plan]:
        raw = await self.redis.hgetall(self._key("ciplans", patient_id))
        return {_text(k): _plan(v) for k, v in raw.items()}

    async def plan(self, patient_id: str, kind: str) -> Plan | None:
        raw = await self.redis.hget(self._key("ciplans", patient_id), kind)
        return None if raw is None else _plan(raw)

    async def save_plan(self, patient_id: str, plan: Plan) -> None:
        await self.redis.hset(self._key("ciplans", patient_id), plan.kind, _plan_json(plan))

    async def profile(self, patient_id: str) -> Profile:
        raw = await self.redis.get(self._key("ciprofile", patient_id))
        return Profile(**json.loads(raw)) if raw else Profile()

    async def update_profile(self, patient_id: str, **changes: Any) -> Profile:
        profile = replace(await self.profile(patient_id), **changes)
        await self.redis.set(self._key("ciprofile", patient_id), json.dumps(asdict(profile)))
        return profile

    # -- sessions

    async def session(self, session_id: str) -> tuple[Session, list[Event]] | None:
        """A session and the events its last transition published."""
        raw = await self.redis.get(self._key("cisession", session_id))
        if raw is None:
            return None
        data = json.loads(_text(raw))
        outbox = [parse_event(o["topic"], o["event"]) for o in data["outbox"]]
        return _session(data["session"]), outbox

    async def open_session(self, patient_id: str) -> str | None:
        raw = await self.redis.get(self._key("ciopen", patient_id))
        return None if raw is None else _text(raw)

    async def save_session(self, s: Session, outbox: list[Event]) -> None:
        """The session and what this transition is about to publish, in one write; the open
        pointer follows the session's status."""
        data = {
            "session": _session_json(s),
            "outbox": [{"topic": topic_for(e), "event": e.model_dump_json()} for e in outbox],
        }
        pointer = self._key("ciopen", s.patient_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(
                self._key("cisession", s.session_id),
                json.dumps(data),
                ex=int(SESSION_TTL.total_seconds()),
            )
            if s.open:
                pipe.set(pointer, s.session_id)
            await pipe.execute()
        if not s.open and await self.open_session(s.patient_id) == s.session_id:
            await self.redis.delete(pointer)
