"""Local wall-clock arithmetic of the cascade, on shared/localtime's one DST policy:
a time in a DST gap moves to the end of the gap, a time in a fold takes its first occurrence."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.localtime import resolve_local as _resolve


def resolve_local(naive: datetime, zone: str) -> datetime:
    """The UTC instant of a local wall time in `zone` (02:30 on spring-forward -> 03:00)."""
    return _resolve(naive.date(), naive.time(), zone)


def days_before_same_wall_time(start: datetime, days: int, zone: str) -> datetime:
    """The instant `days` calendar days before `start` at the same local time in `zone`."""
    local = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return resolve_local(local - timedelta(days=days), zone)
