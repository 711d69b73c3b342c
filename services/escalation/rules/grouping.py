"""ESC-DEDUPE: a repeat of an open alert's dedup key is counted, unless it is more urgent."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from services.escalation.rules.policy import rank


class Grouping(enum.Enum):
    NEW = "new"
    """No open alert has the key: open one."""
    COUNT = "count"
    """Same or lower priority than the open alert: count it, page nobody."""
    UPGRADE = "upgrade"
    """Higher priority than the open alert: the alert takes the new severity and its ladder."""


def still_groups(*, status: str, raised_at: datetime, now: datetime, window: timedelta) -> bool:
    """Whether a repeat may still join an alert: always while it is paging; once it is
    acknowledged (or waiting for the digest) only within the window (default 24 h), so an old
    acknowledged alert nobody resolved never swallows a new trigger."""
    if status == "open":
        return True
    if status in ("acknowledged", "queued"):
        return now - raised_at < window
    return False


def decide(open_severity: str | None, incoming: str) -> Grouping:
    """What a raised alert does to the open alert with the same dedup key (None: none open)."""
    if open_severity is None:
        return Grouping.NEW
    if rank(incoming) < rank(open_severity):
        return Grouping.UPGRADE
    return Grouping.COUNT
