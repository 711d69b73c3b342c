"""Wall-clock time in an IANA zone, DST-correct (domain 6.3): gaps move forward, folds fire once."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from shared.localtime import resolve_local

__all__ = ["local_date", "parse_hhmm", "resolve_local", "zone_abbreviation"]


def parse_hhmm(value: str) -> time:
    """ "08:00" -> time(8, 0)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date of an instant in a zone."""
    return instant.astimezone(ZoneInfo(zone)).date()


def zone_abbreviation(instant: datetime, zone: str) -> str:
    """ "CT", "MT", "PT": the generic US abbreviation (CDT and CST are both CT)."""
    name = instant.astimezone(ZoneInfo(zone)).tzname() or ""
    if len(name) == 3 and name[2] == "T" and name[1] in "SD":
        return name[0] + "T"
    return name
