"""Local wall-clock times to UTC instants, one DST policy for every service.

A time in the spring-forward gap is the end of the gap (02:30 -> 03:00); a time in the fall-back
fold is its first occurrence (fold 0). So a schedule fires once on both change nights, and
adjacent shifts sharing a boundary neither overlap nor leave a hole."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> time:
    """ "08:00" -> time(8, 0)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date of an instant in a zone."""
    return instant.astimezone(ZoneInfo(zone)).date()


def resolve_local(day: date, at: time | str, zone: str) -> datetime:
    """The UTC instant at which the clock in `zone` reads `at` (a time or "HH:MM") on `day`
    (see the module)."""
    if isinstance(at, str):
        at = parse_hhmm(at)
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, at).replace(tzinfo=None)
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    # A time that does not exist: the transition lies between its two readings; bisect to it.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = instant
    if low > high:
        low, high = high, low
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0)
