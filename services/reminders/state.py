"""What reminders keep in Redis, all under `<namespace>:reminders`: patient profiles, appointment
records, a per-patient index, sent and handled-event markers, and per-appointment locks.

    <p>:patient:<patient_id>          HASH    zone, site_id, discharged
    <p>:patient:<patient_id>:appts    SET     appointment ids that may still need texts
    <p>:appt:<appointment_id>         STRING  the appointment record (JSON), kept until start + 30 d
    <p>:lock:<appointment_id>         STRING  lock token (event handling vs timer firing)
    <p>:claim:sent:<dedup_key>        STRING  the text was published (Context.sent, shared Claims)
    <p>:claim:event:<event_id>        STRING  the event was handled (Context.handled, kept 7 d)
    <p>:timers:appointments:*         durable timers (shared.timers), key <appointment_id>:<step>

The two markers are written through shared.idempotency (`Once`, `Claims`); this module holds the
rest.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from services.reminders.rules import Appointment, Profile
from shared.broker import TransientError
from shared.idempotency import DELETE_IF_EQUAL

RECORD_KEPT_AFTER_START = timedelta(days=30)
EVENT_MARKER_TTL = 7 * 24 * 3600
"""How long a handled event's marker is kept (seconds)."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _encode(appt: Appointment) -> str:
    data: dict[str, Any] = asdict(appt)
    data["start"] = appt.start.isoformat()
    return json.dumps(data, separators=(",", ":"))


def _decode(raw: bytes | str) -> Appointment:
    data = json.loads(_text(raw))
    data["start"] = datetime.fromisoformat(data["start"])
    return Appointment(**data)


class Store:
    """Profiles, appointments and locks of the reminders service."""

    def __init__(self, redis: Redis, prefix: str, *, lock_seconds: float = 10) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lock_seconds = lock_seconds
        self._release = redis.register_script(DELETE_IF_EQUAL)

    def _patient(self, patient_id: str) -> str:
        return f"{self.prefix}:patient:{patient_id}"

    def _index(self, patient_id: str) -> str:
        return f"{self.prefix}:patient:{patient_id}:appts"

    def _appt(self, appointment_id: str) -> str:
        return f"{self.prefix}:appt:{appointment_id}"

    async def profile(self, patient_id: str) -> Profile:
        """The patient's profile; an empty one (the site's zone) until mtm.patients tells us."""
        stored = await self.redis.hgetall(self._patient(patient_id))
        raw = {_text(k): _text(v) for k, v in stored.items()}
        return Profile(
            zone=raw.get("zone") or None,
            site_id=raw.get("site_id") or None,
            discharged=raw.get("discharged") == "1",
        )

    async def update_profile(self, patient_id: str, **changes: Any) -> tuple[Profile, Profile]:
        """Apply the given (non-None) changes; returns the profile before and after."""
        before = await self.profile(patient_id)
        after = replace(before, **{k: v for k, v in changes.items() if v is not None})
        await self.redis.hset(
            self._patient(patient_id),
            mapping={
                "zone": after.zone or "",
                "site_id": after.site_id or "",
                "discharged": "1" if after.discharged else "0",
            },
        )
        return before, after

    async def appointment(self, appointment_id: str) -> Appointment | None:
        raw = await self.redis.get(self._appt(appointment_id))
        return _decode(raw) if raw is not None else None

    async def save(self, appt: Appointment, *, now: datetime) -> None:
        """Store the record (kept a while past the start, for late no-show and completion events)
        and keep the patient's index of appointments that may still need texts."""
        ttl = max(appt.start + RECORD_KEPT_AFTER_START - now, timedelta(days=1))
        index = self._index(appt.patient_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._appt(appt.appointment_id), _encode(appt), ex=ttl)
            if appt.status in ("booked", "no_show"):
                pipe.sadd(index, appt.appointment_id)
            else:
                pipe.srem(index, appt.appointment_id)
            await pipe.execute()

    async def open_appointments(self, patient_id: str) -> list[str]:
        """Ids of the patient's appointments that may still need texts."""
        return sorted(_text(m) for m in await self.redis.smembers(self._index(patient_id)))

    async def forget(self, patient_id: str, appointment_id: str) -> None:
        """Drop an index entry whose record has expired."""
        await self.redis.srem(self._index(patient_id), appointment_id)

    @asynccontextmanager
    async def lock(self, appointment_id: str) -> AsyncIterator[None]:
        """Serialize event handling and timer firing of one appointment, so that no reminder can
        be published after the cancellation notice. A holder that died frees it on expiry."""
        key = f"{self.prefix}:lock:{appointment_id}"
        token = uuid.uuid4().hex
        lease_ms = int(self.lock_seconds * 1000)
        deadline = time.monotonic() + self.lock_seconds + 1
        while not await self.redis.set(key, token, nx=True, px=lease_ms):
            if time.monotonic() > deadline:
                raise TransientError("appointment is locked; try again later")
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            await self._release(keys=[key], args=[token])
