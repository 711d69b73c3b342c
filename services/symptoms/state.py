"""The symptoms service's Redis state: what the rules need to know about each patient.

Every key lives under `<namespace>:symptoms`. Per patient, hashes whose fields are business
keys (plan, dose, response, alert), so writing the same fact twice is harmless."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from services.symptoms.rules.model import (
    AlertRecord,
    DoseRecord,
    Drug,
    PatientContext,
    RiskMarker,
    ScoreRecord,
    Severity,
    Trigger,
    rank,
)
from shared.events import Evidence

RETENTION = timedelta(days=400)  # score history for year-on-year comparisons
SESSION_TTL = timedelta(days=7)
WINDOWS = {  # how far back each kind of fact is kept and loaded
    "doses": timedelta(days=30),
    "risks": timedelta(days=90),
    "alerts": timedelta(days=90),
    "triggers": timedelta(days=30),
    "fired": timedelta(days=90),
    "crisis": timedelta(days=90),
    "scores": RETENTION,
}
PRUNE_ABOVE = 200  # entries in one hash before old ones are pruned


def _json(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _load(raw: Mapping[Any, Any]) -> dict[str, dict[str, Any]]:
    return {_text(k): json.loads(_text(v)) for k, v in raw.items()}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SymptomState:
    """Reads and writes the per-patient facts; all writes are idempotent upserts."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, kind: str, patient_id: str) -> str:
        return f"{self.prefix}:{kind}:{patient_id}"

    async def _put(self, kind: str, patient_id: str, fields: Mapping[str, Any]) -> None:
        if not fields:
            return
        key = self.key(kind, patient_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, mapping={f: json.dumps(v, default=_json) for f, v in fields.items()})
        pipe.expire(key, int(RETENTION.total_seconds()))
        pipe.hlen(key)
        *_, size = await pipe.execute()
        if size > PRUNE_ABOVE and kind in WINDOWS:
            await self._prune(key, WINDOWS[kind])

    async def _prune(self, key: str, keep: timedelta) -> None:
        entries = _load(await self.redis.hgetall(key))
        cutoff = max((_at(v["at"]) for v in entries.values()), default=None)
        if cutoff is None:
            return
        old = [f for f, v in entries.items() if _at(v["at"]) < cutoff - keep]
        if old:
            await self.redis.hdel(key, *old)

    # -- facts from mtm.patients and mtm.medications

    async def save_profile(self, patient_id: str, *, date_of_birth: date | None) -> None:
        await self._put("patient", patient_id, {"profile": {"date_of_birth": date_of_birth}})

    async def save_plan(self, patient_id: str, drug: Drug) -> None:
        await self._put(
            "plans",
            patient_id,
            {
                drug.plan_id: {
                    "drug": drug.drug,
                    "drug_class": drug.drug_class,
                    "start": drug.start,
                    "zone": drug.zone,
                    "dose_changed": drug.dose_changed,
                    "stopped": drug.stopped,
                    "prn": drug.prn,
                }
            },
        )

    async def plan(self, patient_id: str, plan_id: str) -> Drug | None:
        raw = await self.redis.hget(self.key("plans", patient_id), plan_id)
        return None if raw is None else _drug(plan_id, json.loads(_text(raw)))

    async def save_dose(self, patient_id: str, dose: DoseRecord) -> None:
        await self._put(
            "doses",
            patient_id,
            {dose.dose_id: {"plan_id": dose.plan_id, "at": dose.at, "status": dose.status}},
        )

    # -- facts this service derives

    async def save_scores(self, patient_id: str, scores: Iterable[ScoreRecord]) -> None:
        await self._put(
            "scores",
            patient_id,
            {f"{s.instrument}|{s.ref}": {"at": s.at, "total": s.total} for s in scores},
        )

    async def save_risks(self, patient_id: str, risks: Iterable[RiskMarker]) -> None:
        await self._put(
            "risks",
            patient_id,
            {f"{r.kind}|{r.ref}": {"at": r.at, "detail": r.detail} for r in risks},
        )

    async def save_triggers(self, patient_id: str, triggers: Iterable[Trigger]) -> None:
        await self._put(
            "triggers",
            patient_id,
            {
                f"{t.kind}|{t.scope}": {
                    "at": t.at,
                    "evidence": [e.model_dump() for e in t.evidence],
                }
                for t in triggers
            },
        )

    async def save_alert(self, patient_id: str, alert: AlertRecord) -> None:
        await self._put(
            "alerts",
            patient_id,
            {
                alert.alert_id: {
                    "rule_id": alert.rule_id,
                    "severity": alert.severity,
                    "at": alert.at,
                }
            },
        )

    async def session_answer(
        self, patient_id: str, session_id: str, instrument: str, item: str, value: int
    ) -> dict[str, int]:
        """Record one SMS answer of a session; return every answer of the session so far."""
        key = f"{self.key('session', patient_id)}:{session_id}:{instrument}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, item, value)
        pipe.expire(key, int(SESSION_TTL.total_seconds()))
        pipe.hgetall(key)
        *_, answers = await pipe.execute()
        return {_text(k): int(_text(v)) for k, v in answers.items()}

    # -- what was published (written only after the publish succeeded)

    async def published(self, patient_id: str, rule_id: str, scope: str) -> Severity | None:
        """The most urgent severity already published for this rule and record, if any."""
        raw = await self.redis.hget(self.key("fired", patient_id), f"{rule_id}|{scope}")
        return None if raw is None else json.loads(_text(raw))["severity"]

    async def mark_published(
        self, patient_id: str, rule_id: str, scope: str, severity: Severity, at: datetime
    ) -> None:
        known = await self.published(patient_id, rule_id, scope)
        if known is None or rank(severity) < rank(known):
            await self._put(
                "fired", patient_id, {f"{rule_id}|{scope}": {"severity": severity, "at": at}}
            )

    async def crisis_sent(self, patient_id: str, scope: str) -> bool:
        return bool(await self.redis.hexists(self.key("crisis", patient_id), scope))

    async def mark_crisis(
        self, patient_id: str, scope: str, notification_id: str, at: datetime
    ) -> None:
        await self._put(
            "crisis", patient_id, {scope: {"notification_id": notification_id, "at": at}}
        )

    # -- reading it back

    async def doses(self, patient_id: str, *, now: datetime) -> tuple[DoseRecord, ...]:
        raw = _load(await self.redis.hgetall(self.key("doses", patient_id)))
        return _doses(raw, now)

    async def context(self, patient_id: str, *, now: datetime) -> PatientContext:
        """Everything the rules may use about the patient, as of `now`."""
        kinds = ("patient", "plans", "doses", "scores", "risks", "alerts", "triggers")
        pipe = self.redis.pipeline(transaction=False)
        for kind in kinds:
            pipe.hgetall(self.key(kind, patient_id))
        raw = dict(zip(kinds, [_load(r) for r in await pipe.execute()], strict=True))
        profile = raw["patient"].get("profile", {})
        dob = profile.get("date_of_birth")

        def recent(kind: str) -> dict[str, dict[str, Any]]:
            return {f: v for f, v in raw[kind].items() if _at(v["at"]) >= now - WINDOWS[kind]}

        return PatientContext(
            patient_id=patient_id,
            now=now,
            date_of_birth=date.fromisoformat(dob) if dob else None,
            drugs=tuple(_drug(pid, v) for pid, v in sorted(raw["plans"].items())),
            doses=_doses(raw["doses"], now),
            scores=tuple(
                ScoreRecord(
                    ref=f.split("|", 1)[1],
                    instrument=f.split("|", 1)[0],
                    at=_at(v["at"]),
                    total=int(v["total"]),
                )
                for f, v in raw["scores"].items()
            ),
            risks=tuple(
                RiskMarker(
                    ref=f.split("|", 1)[1],
                    at=_at(v["at"]),
                    kind=f.split("|", 1)[0],
                    detail=v.get("detail", ""),
                )
                for f, v in recent("risks").items()
            ),
            alerts=tuple(
                AlertRecord(
                    alert_id=f, rule_id=v["rule_id"], severity=v["severity"], at=_at(v["at"])
                )
                for f, v in recent("alerts").items()
            ),
            triggers=tuple(
                Trigger(
                    scope=f.split("|", 1)[1],
                    at=_at(v["at"]),
                    kind=f.split("|", 1)[0],  # type: ignore[arg-type]
                    evidence=tuple(Evidence(**e) for e in v["evidence"]),
                )
                for f, v in sorted(recent("triggers").items())
            ),
        )


def _drug(plan_id: str, v: Mapping[str, Any]) -> Drug:
    def day(name: str) -> date | None:
        return date.fromisoformat(v[name]) if v.get(name) else None

    return Drug(
        plan_id=plan_id,
        drug=v["drug"],
        drug_class=v["drug_class"],
        start=date.fromisoformat(v["start"]),
        zone=v.get("zone") or "America/Chicago",
        dose_changed=day("dose_changed"),
        stopped=day("stopped"),
        prn=bool(v.get("prn")),
    )


def _doses(raw: Mapping[str, Mapping[str, Any]], now: datetime) -> tuple[DoseRecord, ...]:
    rows = [
        DoseRecord(dose_id=f, plan_id=v["plan_id"], at=_at(v["at"]), status=v["status"])
        for f, v in raw.items()
    ]
    return tuple(sorted((d for d in rows if d.at >= now - WINDOWS["doses"]), key=lambda d: d.at))
