"""Wall-clock time in an IANA zone, DST-correct (domain 6.3): gaps move forward, folds fire once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> time:
    """ "08:00" -> time(8, 0)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def resolve_local(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a local wall time: in a gap the end of the gap (02:30 -> 03:00),
    in a fold the first occurrence."""
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    # Non-existent local time: find the transition between the two readings of it.
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


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date of an instant in a zone."""
    return instant.astimezone(ZoneInfo(zone)).date()


def zone_abbreviation(instant: datetime, zone: str) -> str:
    """ "CT", "MT", "PT": the generic US abbreviation (CDT and CST are both CT)."""
    name = instant.astimezone(ZoneInfo(zone)).tzname() or ""
    if len(name) == 3 and name[2] == "T" and name[1] in "SD":
        return name[0] + "T"
    return name
