"""Wall-clock time in an IANA zone, DST-correct (shared/localtime.py's policy): gaps move forward,
folds fire once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shared.localtime import local_date, parse_hhmm, resolve_local

__all__ = ["local_date", "parse_hhmm", "resolve_local", "zone_abbreviation"]


def zone_abbreviation(instant: datetime, zone: str) -> str:
    """ "CT", "MT", "PT": the generic US abbreviation (CDT and CST are both CT)."""
    name = instant.astimezone(ZoneInfo(zone)).tzname() or ""
    if len(name) == 3 and name[2] == "T" and name[1] in "SD":
        return name[0] + "T"
    return name
