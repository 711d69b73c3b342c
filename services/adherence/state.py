"""The adherence service's Redis state: plans, the dose ledger, patients, fills, episodes,
metrics, and a per-plan lock. Every key lives under `<namespace>:adherence`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from services.adherence.codec import (
    dose_from_hash,
    dose_to_hash,
    fill_from_json,
    fill_to_json,
    plan_from_json,
    plan_to_json,
)
from services.adherence.rules.model import Dose, Fill, Patient, Plan
from services.adherence.rules.schedule import parse_dose_id
from shared.broker import TransientError
from shared.clock import Clock

# KEYS[1] dose, ARGV[1] allowed statuses (comma separated), ARGV[2] new status, ARGV[3..] pairs.
_TRANSITION = """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {0, ''} end
for allowed in string.gmatch(ARGV[1], '[^,]+') do
  if s == allowed then
    redis.call('HSET', KEYS[1], 'status', ARGV[2])
    for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
    return {1, s}
  end
end
return {0, s}
"""

# KEYS[1] dose, KEYS[2] plan index; ARGV[1] ttl ms, ARGV[2] score, ARGV[3] id, ARGV[4..] pairs.
# A dose already answered or closed is never overwritten by a later schedule.
_WRITE = """
local s = redis.call('HGET', KEYS[1], 'status')
if s and s ~= 'pending' and s ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[1])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS[1] hash; ARGV[1] field holding ms; ARGV[2] ms; ARGV[3..] pairs set along when later.
_LATEST = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= current then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def _from_ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value and int(value) else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class State:
    """Reads and writes of the adherence namespace."""

    def __init__(
        self, redis: Redis, prefix: str, *, clock: Clock, retention_days: int = 45
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix
        self.retention = timedelta(days=retention_days)
        self._transition = redis.register_script(_TRANSITION)
        self._write = redis.register_script(_WRITE)
        self._latest = redis.register_script(_LATEST)
        self._unlock = redis.register_script(_UNLOCK)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # plans

    async def plan(self, plan_id: str) -> Plan | None:
        raw = await self.redis.get(self.key("plan", plan_id))
        return plan_from_json(raw) if raw is not None else None

    async def put_plan(self, plan: Plan) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            self._queue_plan(pipe, plan)
            await pipe.execute()

    async def put_plans(self, plans: Iterable[Plan]) -> None:
        """put_plan for many plans in one round trip (not a transaction each): bulk loads."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for plan in plans:
                self._queue_plan(pipe, plan)
            await pipe.execute()

    def _queue_plan(self, pipe: Pipeline, plan: Plan) -> None:
        pipe.set(self.key("plan", plan.plan_id), plan_to_json(plan))
        pipe.sadd(self.key("patient", plan.patient_id, "plans"), plan.plan_id)

    async def patient_plans(self, patient_id: str) -> list[Plan]:
        ids = await self.redis.smembers(self.key("patient", patient_id, "plans"))
        plans = [await self.plan(_text(i)) for i in sorted(ids)]
        return [p for p in plans if p is not None]

    # doses

    def _dose_key(self, dose_id: str) -> str:
        return self.key("dose", dose_id)

    def _index(self, plan_id: str) -> str:
        return self.key("plan", plan_id, "doses")

    async def dose(self, dose_id: str) -> Dose | None:
        raw = await self.redis.hgetall(self._dose_key(dose_id))
        return dose_from_hash(raw) if raw else None

    async def dose_and_plan(self, dose_id: str) -> tuple[Dose | None, Plan | None]:
        """A dose and its plan, in one round trip when the dose id names the plan (it does:
        `plan:YYYY-MM-DD:HH:MM`); a timer step reads both for every reminder of a burst."""
        parsed = parse_dose_id(dose_id)
        if parsed is None:
            dose = await self.dose(dose_id)
            return dose, (await self.plan(dose.plan_id) if dose is not None else None)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._dose_key(dose_id))
            pipe.get(self.key("plan", parsed[0]))
            raw_dose, raw_plan = await pipe.execute()
        dose = dose_from_hash(raw_dose) if raw_dose else None
        if dose is None:
            return None, None
        if dose.plan_id != parsed[0]:  # a plan id with colons of its own: read it by name
            return dose, await self.plan(dose.plan_id)
        return dose, plan_from_json(raw_plan) if raw_plan is not None else None

    async def doses(self, plan_id: str, *, since: datetime) -> list[Dose]:
        """The plan's doses scheduled at or after `since`, in order (expired ones are pruned)."""
        index = self._index(plan_id)
        horizon = _ms(self.clock.now() - self.retention)
        await self.redis.zremrangebyscore(index, "-inf", f"({min(horizon, _ms(since))}")
        ids = await self.redis.zrangebyscore(index, _ms(since), "+inf")
        async with self.redis.pipeline(transaction=False) as pipe:
            for dose_id in ids:
                pipe.hgetall(self._dose_key(_text(cast(bytes, dose_id))))
            rows = await pipe.execute()
        return [dose_from_hash(row) for row in rows if row]

    async def write_doses(self, doses: Iterable[Dose]) -> None:
        """Create (or re-create, if still open) doses, unarmed."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for dose in doses:
                pairs = [x for kv in dose_to_hash(dose).items() for x in kv]
                # Relative, so a fake or scaled clock never sets an expiry Redis sees as past.
                ttl = max(dose.cutoff_at - self.clock.now(), timedelta(0)) + self.retention
                await self._write(
                    keys=[self._dose_key(dose.dose_id), self._index(dose.plan_id)],
                    args=[
                        int(ttl / timedelta(milliseconds=1)),
                        _ms(dose.scheduled_at),
                        dose.dose_id,
                        *pairs,
                    ],
                    client=pipe,
                )
            await pipe.execute()

    async def transition(
        self, dose_id: str, *, allowed: Iterable[str], status: str, **fields: str
    ) -> tuple[bool, str]:
        """Set a dose's status (and fields) only if its status is one of `allowed`; returns
        whether it changed and the status it had."""
        pairs = [x for kv in fields.items() for x in kv]
        changed, before = await self._transition(
            keys=[self._dose_key(dose_id)], args=[",".join(allowed), status, *pairs]
        )
        return bool(int(changed)), _text(before)

    async def note(self, dose_id: str, **fields: str) -> None:
        """Record facts about a dose (when a prompt went out) without touching its status."""
        mapping: dict[Any, Any] = dict(fields)
        await self.redis.hset(self._dose_key(dose_id), mapping=mapping)

    # patients

    async def patient(self, patient_id: str) -> Patient:
        raw = {
            _text(k): _text(v)
            for k, v in (await self.redis.hgetall(self.key("patient", patient_id))).items()
        }
        caregivers = await self.redis.smembers(self.key("patient", patient_id, "caregivers"))
        return Patient(
            patient_id=patient_id,
            site_id=raw.get("site_id") or None,
            discharged=raw.get("discharged") == "1",
            replies=int(raw.get("replies", "0")),
            last_reply_at=_from_ms(raw.get("last_reply_ms")),
            last_prompt_at=_from_ms(raw.get("last_prompt_ms")),
            caregivers=tuple(sorted(_text(c) for c in caregivers)),
        )

    async def update_patient(self, patient_id: str, **fields: str) -> None:
        mapping: dict[Any, Any] = dict(fields)
        await self.redis.hset(self.key("patient", patient_id), mapping=mapping)

    async def record_reply(self, patient_id: str, at: datetime) -> None:
        key = self.key("patient", patient_id)
        await self.redis.hincrby(key, "replies", 1)
        await self._latest(keys=[key], args=["last_reply_ms", _ms(at)])

    async def record_prompt(self, patient_id: str, at: datetime) -> None:
        await self._latest(keys=[self.key("patient", patient_id)], args=["last_prompt_ms", _ms(at)])

    async def prompt_sent(
        self, dose_id: str, patient_id: str, at: datetime, *, field: str | None
    ) -> None:
        """`note(dose_id, field=at)` (when a field is given) and `record_prompt`, in one round
        trip. The script goes by EVALSHA alone (a Script on a pipeline adds a SCRIPT EXISTS
        round trip to every execute); if Redis lost it, `record_prompt` loads it again."""
        if field is None:
            await self.record_prompt(patient_id, at)
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                self.queue_prompt_sent(pipe, dose_id, patient_id, at, field=field)
                await pipe.execute()
        except NoScriptError:
            await self.record_prompt(patient_id, at)

    def queue_prompt_sent(
        self, pipe: Pipeline, dose_id: str, patient_id: str, at: datetime, *, field: str | None
    ) -> None:
        """prompt_sent() on a caller's pipeline (NoScriptError from execute: call prompt_sent)."""
        if field is not None:
            pipe.hset(self._dose_key(dose_id), field, at.isoformat())
        pipe.evalsha(
            self._latest.sha, 1, self.key("patient", patient_id), "last_prompt_ms", _ms(at)
        )

    async def link_caregiver(self, patient_id: str, caregiver_id: str, *, linked: bool) -> None:
        key = self.key("patient", patient_id, "caregivers")
        await (self.redis.sadd(key, caregiver_id) if linked else self.redis.srem(key, caregiver_id))

    async def record_taken(self, plan_id: str, dose_id: str, at: datetime) -> None:
        """Remember the latest dose taken of a plan (gap rules outlive the dose history)."""
        await self._latest(
            keys=[self.key("plan", plan_id, "taken")], args=["at_ms", _ms(at), "dose_id", dose_id]
        )

    async def last_taken(self, plan_id: str) -> tuple[str, datetime] | None:
        raw = await self.redis.hgetall(self.key("plan", plan_id, "taken"))
        data = {_text(k): _text(v) for k, v in raw.items()}
        at = _from_ms(data.get("at_ms"))
        return (data["dose_id"], at) if at is not None and data.get("dose_id") else None

    # fills

    async def add_fill(self, patient_id: str, fill: Fill) -> bool:
        """Store a fill once (by its event id); True if it was new."""
        key = self.key("patient", patient_id, "fills")
        return bool(await self.redis.hsetnx(key, fill.fill_id, fill_to_json(fill)))

    async def fills(self, patient_id: str) -> list[Fill]:
        raw = await self.redis.hvals(self.key("patient", patient_id, "fills"))
        return sorted((fill_from_json(r) for r in raw), key=lambda f: (f.fill_date, f.fill_id))

    # alert episodes and metrics

    def _episode(self, scope: str, rule_id: str) -> str:
        return self.key("episode", scope, rule_id)

    async def open_episode(self, scope: str, rule_id: str, episode: str, *, fixed: bool) -> str:
        """The rule's open episode: `episode` if the data defines it (`fixed`), else the one
        already open, else `episode` as the start of a new one."""
        key = self._episode(scope, rule_id)
        if fixed:
            await self.redis.set(key, episode)
            return episode
        await self.redis.set(key, episode, nx=True)
        return _text(await self.redis.get(key) or episode)

    async def close_episode(self, scope: str, rule_id: str) -> None:
        await self.redis.delete(self._episode(scope, rule_id))

    async def put_metrics(self, patient_id: str, plan_id: str, metrics: dict[str, Any]) -> None:
        await self.redis.hset(
            self.key("patient", patient_id, "metrics"),
            plan_id,
            json.dumps(metrics, separators=(",", ":")),
        )

    async def metrics(self, patient_id: str) -> dict[str, dict[str, Any]]:
        raw = await self.redis.hgetall(self.key("patient", patient_id, "metrics"))
        return {_text(k): json.loads(_text(v)) for k, v in raw.items()}

    # locks

    @asynccontextmanager
    async def lock(self, name: str, *, lease: float = 10, wait: float = 5) -> AsyncIterator[None]:
        """A short Redis lock (plan mutations); TransientError if it cannot be had in time."""
        key, token = self.key("lock", name), uuid.uuid4().hex
        deadline = time.monotonic() + wait
        while not await self.redis.set(key, token, nx=True, px=int(lease * 1000)):
            if time.monotonic() > deadline:
                raise TransientError(f"lock busy: {name}")
            await asyncio.sleep(0.02)  # real time: the lock lease is real time too
        try:
            yield
        finally:
            await self._unlock(keys=[key], args=[token])
