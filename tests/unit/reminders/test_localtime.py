"""Wall-clock arithmetic on both 2026 DST nights in Chicago, Denver and Los Angeles (domain 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.reminders.rules import days_before_same_wall_time, resolve_local

CHI, DEN, LA = "America/Chicago", "America/Denver", "America/Los_Angeles"


def z(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "zone", "expected"),
    [
        # domain 6.3 TZ-TESTS
        (datetime(2026, 3, 8, 8, 0), CHI, z(2026, 3, 8, 13, 0)),
        (datetime(2026, 3, 7, 8, 0), CHI, z(2026, 3, 7, 14, 0)),
        (datetime(2026, 3, 8, 2, 30), CHI, z(2026, 3, 8, 8, 0)),  # gap: end of the gap, 03:00
        (datetime(2026, 11, 1, 1, 30), CHI, z(2026, 11, 1, 6, 30)),  # fold: first occurrence
        (datetime(2026, 3, 9, 8, 0), DEN, z(2026, 3, 9, 14, 0)),
        (datetime(2026, 11, 2, 8, 0), LA, z(2026, 11, 2, 16, 0)),
        # the other zones' gaps and folds
        (datetime(2026, 3, 8, 2, 30), DEN, z(2026, 3, 8, 9, 0)),
        (datetime(2026, 3, 8, 2, 30), LA, z(2026, 3, 8, 10, 0)),
        (datetime(2026, 3, 8, 2, 0), LA, z(2026, 3, 8, 10, 0)),
        (datetime(2026, 3, 8, 2, 59), CHI, z(2026, 3, 8, 8, 0)),
        (datetime(2026, 11, 1, 1, 30), DEN, z(2026, 11, 1, 7, 30)),
        (datetime(2026, 11, 1, 1, 0), LA, z(2026, 11, 1, 8, 0)),
        (datetime(2026, 11, 1, 2, 0), CHI, z(2026, 11, 1, 8, 0)),  # after the fold: CST
    ],
)
def test_resolve_local(local: datetime, zone: str, expected: datetime) -> None:
    assert resolve_local(local, zone) == expected


@pytest.mark.parametrize(
    ("start", "days", "zone", "expected"),
    [
        # domain 4.3: Tue 2026-03-10 14:30 CDT; 3 days before = Sat 14:30 CST = 20:30Z, not 19:30Z
        (z(2026, 3, 10, 19, 30), 3, CHI, z(2026, 3, 7, 20, 30)),
        (z(2026, 3, 10, 19, 30), 1, CHI, z(2026, 3, 9, 19, 30)),
        (z(2026, 3, 9, 14, 0), 1, CHI, z(2026, 3, 8, 14, 0)),  # the day before is DST night
        (z(2026, 3, 9, 14, 0), 3, CHI, z(2026, 3, 6, 15, 0)),
        (z(2026, 11, 2, 16, 0), 1, CHI, z(2026, 11, 1, 16, 0)),  # Mon 10:00 CST
        (z(2026, 11, 2, 16, 0), 3, CHI, z(2026, 10, 30, 15, 0)),  # Fri 10:00 CDT
        (z(2026, 3, 10, 20, 30), 3, DEN, z(2026, 3, 7, 21, 30)),  # 14:30 MDT <- 14:30 MST
        (z(2026, 11, 3, 15, 0), 3, DEN, z(2026, 10, 31, 14, 0)),  # 08:00 MST <- 08:00 MDT
        (z(2026, 3, 9, 23, 0), 3, LA, z(2026, 3, 7, 0, 0)),  # 16:00 PDT <- 16:00 PST
        (z(2026, 11, 2, 16, 0), 1, LA, z(2026, 11, 1, 16, 0)),
        (z(2026, 11, 2, 16, 0), 3, LA, z(2026, 10, 30, 15, 0)),
        # a wall time that does not exist on the earlier day moves to the end of the gap
        (z(2026, 3, 9, 7, 30), 1, CHI, z(2026, 3, 8, 8, 0)),
        (z(2026, 3, 9, 8, 30), 1, DEN, z(2026, 3, 8, 9, 0)),
        (z(2026, 3, 9, 9, 30), 1, LA, z(2026, 3, 8, 10, 0)),
        # one that happens twice takes the first occurrence
        (z(2026, 11, 2, 7, 30), 1, CHI, z(2026, 11, 1, 6, 30)),
        (z(2026, 11, 2, 8, 30), 1, DEN, z(2026, 11, 1, 7, 30)),
        (z(2026, 11, 2, 9, 30), 1, LA, z(2026, 11, 1, 8, 30)),
    ],
)
def test_days_before_keeps_the_wall_clock(
    start: datetime, days: int, zone: str, expected: datetime
) -> None:
    assert days_before_same_wall_time(start, days, zone) == expected


@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=7),
    zone=st.sampled_from([CHI, DEN, LA, "America/Phoenix"]),
)
def test_days_before_is_the_same_local_time_or_the_end_of_a_gap(
    start: datetime, days: int, zone: str
) -> None:
    tz = ZoneInfo(zone)
    due = days_before_same_wall_time(start, days, zone)
    local_start, local_due = start.astimezone(tz), due.astimezone(tz)
    assert local_due.date() == local_start.date() - timedelta(days=days)
    # within an hour of a plain 24 h per day, and the same local time unless that time did not
    # exist on the earlier day (then later, by at most the gap)
    assert abs((start - due) - timedelta(days=days)) <= timedelta(hours=1)
    wanted = local_start.replace(tzinfo=None).time()
    if local_due.replace(tzinfo=None).time() != wanted:
        assert local_due.replace(tzinfo=None).time() > wanted
        # the wanted time was skipped: one minute before `due` the clock read earlier than it
        just_before = (due - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None).time()
        assert just_before < wanted
