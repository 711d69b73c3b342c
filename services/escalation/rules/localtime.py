"""Local wall-clock times to UTC instants, with one policy for the DST gap and fold."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.localtime import resolve_local


def to_utc(naive: datetime, zone_name: str) -> datetime:
    """A local wall-clock time as a UTC instant.

    A time in the spring-forward gap is the end of the gap (02:30 -> 03:00), a time in the
    fall-back fold is its first occurrence (fold 0). So a shift boundary written once maps to
    one instant, and adjacent shifts sharing it neither overlap nor leave a hole."""
    return resolve_local(naive.date(), naive.time(), zone_name)


def parse_local(value: str, zone_name: str) -> datetime:
    """'2026-03-08T08:00' in a zone, as a UTC instant."""
    return to_utc(datetime.fromisoformat(value), zone_name)


def local_label(instant: datetime, zone_name: str) -> str:
    """'2026-03-08 03:00 CDT': an instant as a site would read it."""
    local = instant.astimezone(ZoneInfo(zone_name))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def next_local(now: datetime, at: str, zone_name: str) -> datetime:
    """The first instant after `now` at which the local clock reads `at` (HH:MM) in the zone."""
    hour, minute = (int(part) for part in at.split(":"))
    day: date = now.astimezone(ZoneInfo(zone_name)).date()
    for offset in range(3):
        candidate = to_utc(
            datetime.combine(day + timedelta(days=offset), time(hour, minute)), zone_name
        )
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a local time recurs within three days")
