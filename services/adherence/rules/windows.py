"""Dose windows, follow-ups and missed cut-offs per frequency, and how a report
of taken or skipped binds to a dose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from services.adherence.rules.model import Dose

Frequency = Literal["daily", "frequent", "very_frequent"]


@dataclass(frozen=True)
class WindowPolicy:
    """Defaults: ISMP windows for non-time-critical medicines, our cut-offs."""

    window_daily: timedelta = timedelta(hours=2)
    window_frequent: timedelta = timedelta(hours=1)
    very_frequent_fraction: float = 0.25
    followup_daily: timedelta = timedelta(minutes=60)
    followup_frequent: timedelta = timedelta(minutes=30)
    cutoff_daily: timedelta = timedelta(hours=12)
    cutoff_daily_before_next: timedelta = timedelta(hours=4)
    caregiver_delay: timedelta = timedelta(minutes=60)
    max_frequent_per_day: int = 6
    """More doses a day than this is more often than q4h: +-25 % windows, cut-off at the next."""


@dataclass(frozen=True)
class DoseWindow:
    """The instants that matter for one dose besides its scheduled time."""

    window_start: datetime
    window_end: datetime
    followup_at: datetime | None
    caregiver_at: datetime
    cutoff_at: datetime


def frequency(doses_per_day: int, policy: WindowPolicy) -> Frequency:
    """Once daily, BID..q4h, or more often than q4h."""
    if doses_per_day <= 1:
        return "daily"
    return "frequent" if doses_per_day <= policy.max_frequent_per_day else "very_frequent"


def dose_window(
    *, at: datetime, since_prev: timedelta, to_next: timedelta, per_day: int, policy: WindowPolicy
) -> DoseWindow:
    """Window, follow-up, caregiver notice and cut-off of a dose at `at`; the intervals to the
    neighbouring doses are real durations (a DST night makes them 1 h shorter or longer)."""
    kind = frequency(per_day, policy)
    if kind == "daily":
        half = policy.window_daily
        cutoff = at + min(policy.cutoff_daily, to_next - policy.cutoff_daily_before_next)
        followup = policy.followup_daily
    elif kind == "frequent":
        half = policy.window_frequent
        cutoff = at + to_next / 2
        followup = policy.followup_frequent
    else:
        half = to_next * policy.very_frequent_fraction
        cutoff = at + to_next
        followup = policy.followup_frequent
    # Windows of neighbouring doses never overlap, so a report binds to one dose only.
    window_start = max(at - half, at - since_prev / 2)
    window_end = min(at + half, cutoff)
    followup_at = at + followup if at + followup < cutoff else None
    caregiver_at = min((followup_at or at) + policy.caregiver_delay, cutoff)
    return DoseWindow(window_start, window_end, followup_at, caregiver_at, cutoff)


Taken = Literal["taken_on_time", "taken_late"]


def classify_taken(reported_at: datetime, dose: Dose) -> Taken | None:
    """On time up to the window's end (an early report counts as on time), late up to the
    cut-off; None after the cut-off (the dose stays missed)."""
    if reported_at <= dose.window_end:
        return "taken_on_time"
    if reported_at <= dose.cutoff_at:
        return "taken_late"
    return None


def bind_report(dose_id: str, reported_at: datetime, doses: Iterable[Dose]) -> Dose | None:
    """The dose a report is about: its own id, else the open dose of the plan whose window holds
    the report, else the open dose whose window-start..cut-off holds it (nearest in time)."""
    candidates = list(doses)
    for dose in candidates:
        if dose.dose_id == dose_id:
            return dose
    open_doses = [d for d in candidates if d.status == "pending"]
    for end in ("window_end", "cutoff_at"):
        fits = [d for d in open_doses if d.window_start <= reported_at <= getattr(d, end)]
        if fits:
            return min(fits, key=lambda d: abs((d.scheduled_at - reported_at).total_seconds()))
    return None
