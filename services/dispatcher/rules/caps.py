"""Per-recipient caps on non-urgent texts, per local day and per ISO week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

UNCAPPED = frozenset(
    {"crisis_resources", "clinician_page", "help", "opt_out_confirmation", "opt_in_confirmation"}
)


@dataclass(frozen=True)
class Caps:
    per_day: int
    per_week: int


def counts_against_cap(*, category: str, priority: str, in_reply: bool = False) -> bool:
    """Only routine, system-initiated texts count (and are limited); `in_reply`: the text
    answers what the patient just sent (a check-in's next item)."""
    return priority != "urgent" and category not in UNCAPPED and not in_reply


def periods(now: datetime, zone: str) -> tuple[str, str]:
    """The recipient's local day ("2026-03-10") and ISO week ("2026-W11") of an instant."""
    local = now.astimezone(ZoneInfo(zone))
    year, week, _ = local.isocalendar()
    return local.date().isoformat(), f"{year}-W{week:02d}"


def within_caps(*, day_count: int, week_count: int, already_counted: bool, caps: Caps) -> bool:
    """A text already counted (a redelivery) is always within; else both counts must have room."""
    if already_counted:
        return True
    return day_count < caps.per_day and week_count < caps.per_week
