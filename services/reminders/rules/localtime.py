"""Local wall-clock arithmetic (domain 6.3): a time in a DST gap moves to the end of the gap,
a time in a fold takes its first occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def resolve_local(naive: datetime, zone: str) -> datetime:
    """The UTC instant of a local wall time in `zone` (02:30 on spring-forward -> 03:00)."""
    tz = ZoneInfo(zone)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first  # fold=0 is the first occurrence when the time happens twice
    # In a gap fold=1 reads the time with the later offset (an instant before the transition)
    # and fold=0 with the earlier one (after it); the transition between them is the gap's end.
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    before = datetime.fromtimestamp(low, UTC).astimezone(tz).utcoffset()
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == before:
            low = mid
        else:
            high = mid
    return datetime.fromtimestamp(high, UTC)


def days_before_same_wall_time(start: datetime, days: int, zone: str) -> datetime:
    """The instant `days` calendar days before `start` at the same local time in `zone`."""
    local = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return resolve_local(local - timedelta(days=days), zone)
