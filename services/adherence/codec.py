"""How plans, doses and fills are written to Redis and read back."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from services.adherence.rules.model import Dose, Fill, Plan, Segment


def _iso(value: datetime | date | None) -> str:
    return value.isoformat() if value is not None else ""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def plan_to_json(plan: Plan) -> str:
    data: dict[str, Any] = {
        "plan_id": plan.plan_id,
        "patient_id": plan.patient_id,
        "drug": plan.drug,
        "drug_class": plan.drug_class,
        "segments": [
            {"start": s.start.isoformat(), "times": list(s.times), "zone": s.zone}
            for s in plan.segments
        ],
        "start_date": plan.start_date.isoformat(),
        "end_date": _iso(plan.end_date),
        "prn": plan.prn,
        "site_id": plan.site_id,
        "active": plan.active,
        "stopped_reason": plan.stopped_reason,
        "stopped_at": _iso(plan.stopped_at),
        "first_dose_at": _iso(plan.first_dose_at),
        "started_event": plan.started_event,
    }
    return json.dumps(data, separators=(",", ":"))


def plan_from_json(raw: bytes | str) -> Plan:
    data = json.loads(_text(raw))
    return Plan(
        plan_id=data["plan_id"],
        patient_id=data["patient_id"],
        drug=data["drug"],
        drug_class=data["drug_class"],
        segments=tuple(
            Segment(date.fromisoformat(s["start"]), tuple(s["times"]), s["zone"])
            for s in data["segments"]
        ),
        start_date=date.fromisoformat(data["start_date"]),
        end_date=date.fromisoformat(data["end_date"]) if data["end_date"] else None,
        prn=data["prn"],
        site_id=data["site_id"],
        active=data["active"],
        stopped_reason=data["stopped_reason"],
        stopped_at=_dt(data["stopped_at"]),
        first_dose_at=_dt(data["first_dose_at"]),
        started_event=data["started_event"],
    )


_DOSE_TIMES = (
    "scheduled_at",
    "window_start",
    "window_end",
    "followup_at",
    "caregiver_at",
    "cutoff_at",
    "reported_at",
    "reminded_at",
    "followed_up_at",
)


def dose_to_hash(dose: Dose) -> dict[str, str]:
    fields = {
        "dose_id": dose.dose_id,
        "plan_id": dose.plan_id,
        "patient_id": dose.patient_id,
        "local_date": dose.local_date.isoformat(),
        "local_time": dose.local_time,
        "status": dose.status,
        "armed": "1" if dose.armed else "0",
    }
    fields.update({name: _iso(getattr(dose, name)) for name in _DOSE_TIMES})
    return fields


def dose_from_hash(raw: dict[Any, Any]) -> Dose:
    data = {_text(k): _text(v) for k, v in raw.items()}
    times = {name: _dt(data.get(name)) for name in _DOSE_TIMES}
    return Dose(
        dose_id=data["dose_id"],
        plan_id=data["plan_id"],
        patient_id=data["patient_id"],
        local_date=date.fromisoformat(data["local_date"]),
        local_time=data["local_time"],
        status=data["status"],  # type: ignore[arg-type]
        armed=data.get("armed") == "1",
        **times,  # type: ignore[arg-type]
    )


def fill_to_json(fill: Fill) -> str:
    return json.dumps(
        {
            "fill_id": fill.fill_id,
            "drug": fill.drug,
            "drug_class": fill.drug_class,
            "fill_date": fill.fill_date.isoformat(),
            "days_supply": fill.days_supply,
            "plan_id": fill.plan_id,
        },
        separators=(",", ":"),
    )


def fill_from_json(raw: bytes | str) -> Fill:
    data = json.loads(_text(raw))
    return Fill(
        fill_id=data["fill_id"],
        drug=data["drug"],
        drug_class=data["drug_class"],
        fill_date=date.fromisoformat(data["fill_date"]),
        days_supply=int(data["days_supply"]),
        plan_id=data["plan_id"],
    )
