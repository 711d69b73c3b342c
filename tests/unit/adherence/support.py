"""Builders for plans, dose histories and fills used by the adherence unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TypedDict, cast, get_args

from services.adherence.rules.alerts import Finding, evaluate_plan
from services.adherence.rules.metrics import dose_adherence
from services.adherence.rules.model import TAKEN, Dose, DoseStatus, Fill, Plan, Segment
from services.adherence.rules.patterns import PlanFacts
from services.adherence.rules.schedule import plan_doses
from services.adherence.rules.thresholds import Thresholds
from services.adherence.rules.windows import WindowPolicy

CHICAGO = "America/Chicago"
DENVER = "America/Denver"
LA = "America/Los_Angeles"
POLICY = WindowPolicy()


class Drug(TypedDict):
    """The drug fields of a plan, to splat into `plan(...)`."""

    drug: str
    drug_class: str


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def plan(
    *,
    times: tuple[str, ...] = ("08:00",),
    zone: str = CHICAGO,
    start: date = date(2026, 3, 1),
    drug: str = "sertraline",
    drug_class: str = "ssri",
    plan_id: str = "plan-1",
    **kwargs: object,
) -> Plan:
    return Plan(
        plan_id=plan_id,
        patient_id="p-1",
        drug=drug,
        drug_class=drug_class,
        segments=(Segment(start, times, zone),),
        start_date=start,
        **kwargs,  # type: ignore[arg-type]
    )


def dose_status(value: str) -> DoseStatus:
    """A status as a test spells it, checked against the model's literal statuses."""
    assert value in get_args(DoseStatus), value
    return cast(DoseStatus, value)


def history(p: Plan, first: date, statuses: list[str]) -> tuple[Dose, ...]:
    """Doses of the plan from `first` on, one status per dose in order; a taken dose is
    reported at its scheduled time."""
    days = len(statuses) // max(1, len(p.segments[-1].times)) + 2
    doses = plan_doses(p, first, first + timedelta(days=days), POLICY)
    out = []
    for dose, status in zip(doses, statuses, strict=False):
        reported = dose.scheduled_at if status in TAKEN or status == "skipped" else None
        reminded = dose.scheduled_at if status != "unknown" else None
        out.append(
            replace(dose, status=dose_status(status), reported_at=reported, reminded_at=reminded)
        )
    return tuple(out)


def fill(
    day: date,
    days: int,
    drug: str = "sertraline",
    drug_class: str = "ssri",
    plan_id: str | None = None,
) -> Fill:
    return Fill(f"f-{day.isoformat()}-{days}", drug, drug_class, day, days, plan_id)


T = Thresholds()
APR1 = date(2026, 4, 1)
"""08:00 CDT = 13:00Z; a daily cut-off is 01:00Z the next day."""
M = timedelta(minutes=1)


def facts(p: Plan, doses: tuple[Dose, ...], now: datetime, **kw: object) -> PlanFacts:
    taken = [d for d in doses if d.status in TAKEN and d.reported_at]
    last = max(taken, key=lambda d: d.reported_at) if taken else None  # type: ignore[arg-type,return-value]
    p = p if p.first_dose_at or not doses else replace(p, first_dose_at=doses[0].scheduled_at)
    defaults: dict[str, object] = {
        "today": now.date(),
        "last_taken": (last.dose_id, last.reported_at) if last else None,
        "adherence_30d": dose_adherence(doses, now, 30),
    }
    return PlanFacts(plan=p, doses=doses, **{**defaults, **kw})  # type: ignore[arg-type]


def fired(f: PlanFacts, now: datetime, rule_id: str) -> Finding | None:
    return dict(evaluate_plan(f, T, now))[rule_id]


def after_cutoff(doses: tuple[Dose, ...], index: int) -> datetime:
    return doses[index].cutoff_at + M
