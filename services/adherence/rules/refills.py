"""When a supply runs out (fills carried forward as in PDC), when to remind about a refill, and
when a supply that ran out without a new fill becomes a lapse."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.adherence.rules.model import Fill, Plan
from services.adherence.rules.pdc import shifted_supply


def fills_for_plan(plan: Plan, fills: Iterable[Fill]) -> list[Fill]:
    """Fills of the plan: named by plan id, or without a plan id and of the plan's drug."""
    return [
        f for f in fills if f.plan_id == plan.plan_id or (f.plan_id is None and f.drug == plan.drug)
    ]


def fills_for_class(drug_class: str, fills: Iterable[Fill]) -> list[Fill]:
    """Fills of any drug of a class (PDC is measured per class)."""
    return [f for f in fills if f.drug_class == drug_class]


def run_out(fills: Iterable[Fill]) -> date | None:
    """The first day no fill covers any more (the day after the carried-forward supply ends)."""
    ends = [spans[-1][1] for spans in shifted_supply(fills).values() if spans]
    return max(ends) + timedelta(days=1) if ends else None


@dataclass(frozen=True)
class RefillSchedule:
    """The refill reminder date and the lapse date of one supply."""

    run_out: date
    remind_on: date
    lapse_on: date

    def days_left(self, today: date) -> int:
        """Whole days of supply left on a local date."""
        return (self.run_out - today).days


def refill_schedule(
    fills: Iterable[Fill], *, lead_days: int, grace_days: int, today: date
) -> RefillSchedule | None:
    """Remind `lead_days` before the run-out (today if that is past), lapse `grace_days` after."""
    end = run_out(fills)
    if end is None:
        return None
    remind_on = max(end - timedelta(days=lead_days), today)
    return RefillSchedule(end, remind_on, end + timedelta(days=grace_days))
