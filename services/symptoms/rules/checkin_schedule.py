"""Check-in plans and their occurrences in the patient's zone (shared/localtime.py): a time in the
spring-forward gap moves to the end of the gap, a time in the fall-back fold fires once, at
its first occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from shared.localtime import resolve_local

PlanSource = Literal["plan_set", "site_default", "medication"]


@dataclass(frozen=True)
class Plan:
    """When a patient is asked one kind of check-in: every `every_days` days from the first
    `weekday` on or after `start`, at `local_time` in `zone`, until `end` (inclusive)."""

    kind: str
    every_days: int
    weekday: int
    local_time: str
    zone: str
    start: date
    end: date | None = None
    active: bool = True
    source: PlanSource = "plan_set"
    revision: str = ""
    site_id: str | None = None

    def anchor(self) -> date:
        """The first day of the plan: `start`, moved forward to the plan's weekday."""
        return self.start + timedelta(days=(self.weekday - self.start.weekday()) % 7)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def occurrence(plan: Plan, index: int) -> datetime:
    """The UTC instant of the plan's `index`-th occurrence (0 = the first)."""
    day = plan.anchor() + timedelta(days=index * plan.every_days)
    return resolve_local(day, _hhmm(plan.local_time), plan.zone)


def next_occurrence(plan: Plan, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after`, or None (inactive, or past the end)."""
    if not plan.active:
        return None
    local_day = after.astimezone(ZoneInfo(plan.zone)).date()
    # Start a day early: the occurrence of the local day before may still lie ahead in UTC terms
    # only by an offset change, never by more than a day.
    days = (local_day - plan.anchor()).days - 1
    index = max(0, days // plan.every_days)
    while True:
        at = occurrence(plan, index)
        day = plan.anchor() + timedelta(days=index * plan.every_days)
        if plan.end is not None and day > plan.end:
            return None
        if at > after:
            return at
        index += 1


def side_effect_window(
    *, changed: date, zone: str, weeks: int, every_days: int, local_time: str, revision: str
) -> Plan | None:
    """Side-effect check-ins after a start or a dose change: every `every_days` days from
    `changed + every_days` up to `weeks` weeks after it (None when the window is off)."""
    if weeks <= 0:
        return None
    first = changed + timedelta(days=every_days)
    return Plan(
        kind="side_effects",
        every_days=every_days,
        weekday=first.weekday(),
        local_time=local_time,
        zone=zone,
        start=first,
        end=changed + timedelta(weeks=weeks),
        source="medication",
        revision=revision,
    )
