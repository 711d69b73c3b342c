"""A page that cannot be delivered (ESC-UNREACHABLE): escalate to someone who can act at once,
never loop. Pure rules: what a failed page means, what the alert does next, the hourly caps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.escalation.rules.policy import LadderPlan, Step
from services.escalation.rules.roster import Roster, on_call

PERMANENT_SUPPRESSIONS = frozenset({"opted_out", "invalid_number", "unknown_recipient"})
"""Suppressions that will not change by themselves: the number is blocked, invalid or unknown."""
PASSING_ERRORS = frozenset({30003})
"""Carrier errors that may clear by the next round (30003: handset off or out of range)."""

Next = Literal["next_rung", "fallback", "wait"]


def failed_for_good(
    *, suppressed_reason: str | None = None, permanent: bool = False, error_code: int | None = None
) -> bool:
    """A page's failure that a repeat cannot fix (a 30003 handset out of reach can)."""
    if suppressed_reason is not None:
        return suppressed_reason in PERMANENT_SUPPRESSIONS
    return permanent and error_code not in PASSING_ERRORS


def after_undelivered(*, next_step: Step | None, rungs_failed: bool, fallback_paged: bool) -> Next:
    """What an alert does once every page of its current step failed: the next rung at once
    while there is one; after the last rung, the fallback roster at once (once per alert) if no
    rung could be reached; otherwise the ladder keeps its pace (a repeat round waits its turn:
    a failure never makes the rounds come faster)."""
    if next_step is not None and not next_step.is_repeat:
        return "next_rung"
    if rungs_failed and not fallback_paged:
        return "fallback"
    return "wait"


@dataclass(frozen=True)
class PageOutcome:
    """What is known of one page of an alert."""

    step: int
    delivered: bool
    failed: bool


def rungs_failed(pages: Sequence[PageOutcome], *, base: int, rungs: int, fired_step: int) -> bool:
    """Every rung of the ladder (steps base .. base+rungs-1) has fired and none of its pages was
    delivered or is still on its way; a rung that found nobody to page counts as failed."""
    if fired_step < base + rungs - 1:
        return False
    for step in range(base, base + rungs):
        for page in (p for p in pages if p.step == step):
            if page.delivered or not page.failed:
                return False
    return True


def within_caps(
    *, alert_pages: int, clinician_pages: int, per_alert: int, per_clinician: int
) -> bool:
    """One more page fits this clock hour's caps for the alert and for the clinician."""
    return alert_pages < per_alert and clinician_pages < per_clinician


def page_bound(plan: LadderPlan, *, people: int, per_alert_hour: int, hours: float) -> int:
    """The most pages one alert can request in `hours`: each rung once, the fallback once,
    every repeat round everyone (`people`: all who could ever be paged for it), and never more
    than the hourly cap allows."""
    if plan.mode != "page":
        return 0
    repeats = plan.max_repeats if plan.max_repeats is not None else 10**9
    by_ladder = len(plan.targets) * 1 + people + repeats * people
    by_cap = per_alert_hour * (int(hours) + 1)
    return min(by_ladder, by_cap)


@dataclass(frozen=True)
class Problem:
    """Someone the next hours of a roster name who cannot be paged."""

    clinician_id: str
    role: str
    first_at: datetime
    why: str


def unpageable_on_call(
    roster: Roster,
    *,
    start: datetime,
    end: datetime,
    registered: Callable[[str], bool],
    unreachable: Mapping[str, str],
) -> list[Problem]:
    """Who will be on call in [start, end) (primary, backup, the director) and cannot be paged:
    not registered (the dispatcher has no number), or their last page failed for good."""
    instants = sorted(
        {start}
        | {t for slot in (*roster.shifts, *roster.overrides) for t in (slot.start, slot.end)}
    )
    named: dict[tuple[str, str], datetime] = {}
    for at in (t for t in instants if start <= t < end):
        shift = on_call(roster, at)
        if shift is None:
            continue
        named.setdefault((shift.primary_id, "primary"), at)
        if shift.backup_id:
            named.setdefault((shift.backup_id, "backup"), at)
    if roster.director_id:
        named.setdefault((roster.director_id, "director"), start)
    problems = []
    for (cid, role), at in sorted(named.items(), key=lambda item: item[1]):
        if not registered(cid):
            problems.append(Problem(cid, role, at, "not registered"))
        elif cid in unreachable:
            problems.append(Problem(cid, role, at, f"unreachable ({unreachable[cid]})"))
    return problems
