"""Quiet hours (SMS-QUIET): when a message may go out in the recipient's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.dispatcher.rules.localtime import parse_hhmm, resolve_local

# Never delayed: clinician pages, crisis texts and replies to what the patient just texted.
EXEMPT_CATEGORIES = frozenset(
    {
        "clinician_page",
        "crisis_resources",
        "help",
        "opt_out_confirmation",
        "opt_in_confirmation",
        "media_unreadable",
    }
)


@dataclass(frozen=True)
class Window:
    """Allowed hours [start, end) in local wall time; start > end wraps past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        return cls(parse_hhmm(start), parse_hhmm(end))

    def contains(self, at: time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


def is_exempt(
    *,
    category: str,
    priority: str,
    recipient_kind: str,
    patient_chosen_time: bool,
    in_reply: bool = False,
) -> bool:
    """Patient-chosen dose times, crisis texts, replies to the patient's own texts (keywords, a
    check-in's next item) and urgent clinician texts."""
    if patient_chosen_time or in_reply or category in EXEMPT_CATEGORIES:
        return True
    return recipient_kind == "clinician" and priority == "urgent"


def next_allowed(now: datetime, zone: str, window: Window) -> datetime:
    """`now` if it is inside the window in `zone`, else the next start of the window (UTC)."""
    local = now.astimezone(ZoneInfo(zone))
    if window.contains(local.time().replace(tzinfo=None)):
        return now
    day = local.date()
    for offset in range(3):
        candidate = resolve_local(day + timedelta(days=offset), window.start, zone)
        if candidate > now:
            return candidate
    raise AssertionError("a window start always comes within two days")
