"""The facts alert rules read, and the patterns they look for: a run of missed doses, a run of
missed days, a gap since the last dose taken."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.adherence.rules.metrics import DoseAdherence
from services.adherence.rules.model import NOT_TAKEN, TAKEN, Dose, Fill, Patient, Plan
from services.adherence.rules.pdc import PdcResult
from services.adherence.rules.refills import RefillSchedule


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence: a dose or a fill, with a PHI-free detail."""

    kind: str
    ref: str
    detail: str


@dataclass(frozen=True)
class PlanFacts:
    """Everything plan-scoped rules look at, gathered by the caller."""

    plan: Plan
    doses: tuple[Dose, ...]
    """The plan's recent doses (at least the last 35 days and the horizon), by scheduled time."""
    today: date
    last_taken: tuple[str, datetime] | None = None
    """The last dose reported taken (id, report instant), kept beyond the dose history."""
    fills: tuple[Fill, ...] = ()
    adherence_30d: DoseAdherence | None = None
    pdc: PdcResult | None = None
    supply: RefillSchedule | None = None


@dataclass(frozen=True)
class PatientFacts:
    """Everything patient-scoped rules look at."""

    patient: Patient
    active_plans: int


def dose_evidence(dose: Dose) -> EvidenceItem:
    when = f"{dose.local_date.isoformat()} {dose.local_time} local"
    return EvidenceItem("dose", dose.dose_id, f"{dose.status.replace('_', ' ')}, scheduled {when}")


def fill_evidence(fill: Fill) -> EvidenceItem:
    detail = f"filled {fill.fill_date.isoformat()}, {fill.days_supply} days supply"
    return EvidenceItem("fill", fill.fill_id, detail)


def missed_run(doses: tuple[Dose, ...]) -> list[Dose]:
    """The trailing run of closed doses not taken (missed, unknown, skipped), oldest first;
    open and cancelled doses neither extend nor break it, a taken dose ends it."""
    run: list[Dose] = []
    for dose in reversed(doses):
        if dose.status in TAKEN:
            break
        if dose.status in NOT_TAKEN:
            run.append(dose)
    return run[::-1]


def missed_days(doses: tuple[Dose, ...]) -> list[tuple[date, list[Dose]]]:
    """The trailing run of consecutive local days on which every dose closed untaken, oldest
    first. A day still open (a dose pending) is skipped while the run has not started; a day with
    a dose taken, or a calendar gap, ends the run."""
    by_day: dict[date, list[Dose]] = defaultdict(list)
    for dose in doses:
        if dose.status != "cancelled":
            by_day[dose.local_date].append(dose)
    run: list[tuple[date, list[Dose]]] = []
    for day in sorted(by_day, reverse=True):
        day_doses = by_day[day]
        if any(d.status in TAKEN for d in day_doses):
            break
        if any(d.status == "pending" for d in day_doses):
            if run:
                break
            continue
        if run and (run[-1][0] - day).days != 1:
            break
        run.append((day, day_doses))
    return run[::-1]


@dataclass(frozen=True)
class Gap:
    """Time without a dose taken: since the last one, or since the plan's first dose."""

    anchor: str
    since: datetime
    doses: list[Dose]
    """Doses scheduled since then, up to now (not cancelled)."""

    def untaken(self) -> int:
        return sum(1 for d in self.doses if d.status in NOT_TAKEN)


def gap(facts: PlanFacts, now: datetime) -> Gap | None:
    """The current gap, or None if no dose was ever scheduled."""
    if facts.last_taken is not None:
        ref, since = facts.last_taken
        last = next((d for d in facts.doses if d.dose_id == ref), None)
        after = last.scheduled_at if last is not None else since
        doses = [d for d in facts.doses if after < d.scheduled_at <= now]
        anchor = ref
    elif facts.plan.first_dose_at is not None:
        since = facts.plan.first_dose_at
        doses = [d for d in facts.doses if since <= d.scheduled_at <= now]
        anchor = "first-dose"
    else:
        return None
    return Gap(anchor, since, [d for d in doses if d.status != "cancelled"])


def gap_at_least(
    facts: PlanFacts, now: datetime, length: timedelta, *, untaken: int = 0
) -> Gap | None:
    """The current gap if it is `length` or longer, has a dose scheduled in it and at least
    `untaken` doses closed untaken."""
    current = gap(facts, now)
    if current is None or now - current.since < length or not current.doses:
        return None
    return current if current.untaken() >= untaken else None
