"""Dose materialization (shared/localtime.py): local wall times in an IANA zone become instants; a
time in the spring-forward gap fires at the end of the gap, a time in the fall-back fold fires
once, at its first occurrence. Dose ids are `plan:local-date:HH:MM`, stable across restarts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.adherence.rules.model import Dose, Plan
from services.adherence.rules.windows import WindowPolicy, dose_window
from shared.localtime import resolve_local

DAY = timedelta(days=1)


def local_today(now: datetime, zone: str) -> date:
    """The patient's calendar date at an instant."""
    return now.astimezone(ZoneInfo(zone)).date()


def dose_id(plan_id: str, day: date, hhmm: str) -> str:
    """The stable id of a dose: plan, local date, local wall time as scheduled."""
    return f"{plan_id}:{day.isoformat()}:{hhmm}"


def parse_dose_id(value: str) -> tuple[str, date, str] | None:
    """(plan, local date, HH:MM) of a dose id, or None if it is not one."""
    parts = value.rsplit(":", 3)
    if len(parts) != 4:
        return None
    try:
        return parts[0], date.fromisoformat(parts[1]), f"{int(parts[2]):02d}:{int(parts[3]):02d}"
    except ValueError:
        return None


def time_label(hhmm: str) -> str:
    """ "08:00" -> "8:00 AM", "20:30" -> "8:30 PM" (the wall time the patient chose)."""
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return f"{(hours % 12) or 12}:{minutes:02d} {'AM' if hours < 12 else 'PM'}"


@dataclass(frozen=True)
class Occurrence:
    """A dose time on a local date, resolved to an instant."""

    day: date
    hhmm: str
    at: datetime
    per_day: int
    nominal_next: timedelta
    nominal_prev: timedelta


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def occurrences(plan: Plan, first: date, last: date) -> list[Occurrence]:
    """Every dose time of the plan's segments on each local date, in order (ignores the plan's
    start, end and state: the neighbours of the first and last dose are needed too)."""
    found: list[Occurrence] = []
    day = first
    while day <= last:
        segment = plan.segment_on(day)
        if segment is not None:
            times = sorted(set(segment.times))
            for i, hhmm in enumerate(times):
                nxt = _minutes(times[(i + 1) % len(times)]) - _minutes(hhmm)
                prv = _minutes(hhmm) - _minutes(times[i - 1])
                found.append(
                    Occurrence(
                        day=day,
                        hhmm=hhmm,
                        at=resolve_local(day, hhmm, segment.zone),
                        per_day=len(times),
                        nominal_next=timedelta(minutes=nxt % 1440 or 1440),
                        nominal_prev=timedelta(minutes=prv % 1440 or 1440),
                    )
                )
        day += DAY
    return found


def plan_doses(plan: Plan, first: date, last: date, policy: WindowPolicy) -> list[Dose]:
    """The plan's scheduled doses on local dates first..last, with windows and cut-offs."""
    occ = occurrences(plan, first - DAY, last + DAY)
    doses: list[Dose] = []
    for i, o in enumerate(occ):
        if not (first <= o.day <= last and plan.schedules(o.day)):
            continue
        # Real intervals to the neighbours; the wall-clock one where two gap times coincide.
        to_next = occ[i + 1].at - o.at if i + 1 < len(occ) else o.nominal_next
        since_prev = o.at - occ[i - 1].at if i > 0 else o.nominal_prev
        window = dose_window(
            at=o.at,
            since_prev=since_prev if since_prev > timedelta(0) else o.nominal_prev,
            to_next=to_next if to_next > timedelta(0) else o.nominal_next,
            per_day=o.per_day,
            policy=policy,
        )
        doses.append(
            Dose(
                dose_id=dose_id(plan.plan_id, o.day, o.hhmm),
                plan_id=plan.plan_id,
                patient_id=plan.patient_id,
                local_date=o.day,
                local_time=o.hhmm,
                scheduled_at=o.at,
                window_start=window.window_start,
                window_end=window.window_end,
                followup_at=window.followup_at,
                caregiver_at=window.caregiver_at,
                cutoff_at=window.cutoff_at,
            )
        )
    return doses


def _timing(dose: Dose) -> tuple[datetime | None, ...]:
    return (
        dose.scheduled_at,
        dose.window_start,
        dose.window_end,
        dose.followup_at,
        dose.caregiver_at,
        dose.cutoff_at,
    )


@dataclass(frozen=True)
class Replan:
    """What a (re-)materialization changes in the ledger."""

    create: list[Dose]
    """New doses, or doses whose id exists but whose instant moved or that come back."""
    cancel: list[Dose]
    """Open doses not yet due that the new schedule no longer has."""


def replan(
    existing: list[Dose],
    desired: list[Dose],
    *,
    now: datetime,
    not_before: datetime,
    effective: date,
) -> Replan:
    """Reconcile the ledger with a schedule from `effective` on: doses already due stay as
    they are; a dose is only created if it starts at or after `not_before` and can still be
    answered (its cut-off is ahead)."""
    by_id = {d.dose_id: d for d in existing}
    wanted = {d.dose_id: d for d in desired if d.local_date >= effective}
    cancel = [
        d
        for d in existing
        if d.status == "pending"
        and d.scheduled_at > now
        and d.local_date >= effective
        and (d.dose_id not in wanted or _timing(wanted[d.dose_id]) != _timing(d))
    ]
    cancelled = {d.dose_id for d in cancel}
    create = []
    for dose in wanted.values():
        if dose.scheduled_at < not_before or dose.cutoff_at <= now:
            continue
        old = by_id.get(dose.dose_id)
        # A cancelled dose whose reminder never went out may come back (a plan changed back).
        comes_back = old is not None and old.status == "cancelled" and old.reminded_at is None
        if old is None or old.dose_id in cancelled or (comes_back and dose.scheduled_at > now):
            create.append(replace(dose, status="pending"))
    return Replan(create=create, cancel=cancel)
