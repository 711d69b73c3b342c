"""Check-in plans materialized in the patient's zone across both 2026 DST nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.symptoms.rules.checkin_schedule import (
    Plan,
    next_occurrence,
    occurrence,
    side_effect_window,
)


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(zone: str, local_time: str, start: date, *, weekday: int = 6, **kw: object) -> Plan:
    return Plan(
        kind="PHQ-2",
        every_days=7,
        weekday=weekday,
        local_time=local_time,
        zone=zone,
        start=start,
        **kw,  # type: ignore[arg-type]
    )


SPRING = date(2026, 3, 8)  # second Sunday of March
FALL = date(2026, 11, 1)  # first Sunday of November


@pytest.mark.parametrize(
    ("zone", "local_time", "day", "expected"),
    [
        # Spring forward: 02:30 does not exist; it fires at the end of the gap (03:00 local).
        ("America/Chicago", "02:30", SPRING, z(2026, 3, 8, 8, 0)),
        ("America/Denver", "02:30", SPRING, z(2026, 3, 8, 9, 0)),
        ("America/Los_Angeles", "02:30", SPRING, z(2026, 3, 8, 10, 0)),
        # The week before and after, standard and daylight time.
        ("America/Chicago", "02:30", SPRING - timedelta(days=7), z(2026, 3, 1, 8, 30)),
        ("America/Chicago", "02:30", SPRING + timedelta(days=7), z(2026, 3, 15, 7, 30)),
        # Fall back: 01:30 happens twice; the first occurrence (daylight time) is the one.
        ("America/Chicago", "01:30", FALL, z(2026, 11, 1, 6, 30)),
        ("America/Denver", "01:30", FALL, z(2026, 11, 1, 7, 30)),
        ("America/Los_Angeles", "01:30", FALL, z(2026, 11, 1, 8, 30)),
        ("America/Chicago", "01:30", FALL + timedelta(days=7), z(2026, 11, 8, 7, 30)),
        # An ordinary morning either side of the change keeps its wall time.
        ("America/Chicago", "10:00", SPRING, z(2026, 3, 8, 15, 0)),
        ("America/Chicago", "10:00", SPRING - timedelta(days=7), z(2026, 3, 1, 16, 0)),
        ("America/Los_Angeles", "10:00", FALL, z(2026, 11, 1, 18, 0)),
        ("America/Denver", "10:00", FALL - timedelta(days=7), z(2026, 10, 25, 16, 0)),
    ],
)
def test_occurrences_across_dst(zone: str, local_time: str, day: date, expected: datetime) -> None:
    plan = weekly(zone, local_time, date(2026, 1, 4))
    index = (day - plan.anchor()).days // 7
    assert occurrence(plan, index) == expected
    # The same occurrence is the next one from just before it.
    assert next_occurrence(plan, expected - timedelta(seconds=1)) == expected


@pytest.mark.parametrize("zone", ["America/Chicago", "America/Denver", "America/Los_Angeles"])
def test_the_fall_back_repeat_never_fires_twice(zone: str) -> None:
    plan = weekly(zone, "01:30", date(2026, 10, 1))
    first = next_occurrence(plan, z(2026, 10, 31, 12, 0))
    assert first is not None
    again = next_occurrence(plan, first)
    # Not the second 01:30 an hour later: the next Sunday.
    assert again is not None and again - first == timedelta(days=7, hours=1)
    assert again.astimezone(ZoneInfo(zone)).date() == FALL + timedelta(days=7)


@pytest.mark.parametrize("zone", ["America/Chicago", "America/Denver", "America/Los_Angeles"])
def test_the_spring_gap_never_skips_the_day(zone: str) -> None:
    plan = weekly(zone, "02:30", date(2026, 3, 1))
    at = next_occurrence(plan, z(2026, 3, 7, 12, 0))
    assert at is not None
    local = at.astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour, local.minute) == (SPRING, 3, 0)


def test_weekday_start_end_and_cadence() -> None:
    # Every two weeks on Wednesdays from Mon 2 March, until 1 April inclusive.
    plan = Plan(
        kind="GAD-7",
        every_days=14,
        weekday=2,
        local_time="10:00",
        zone="America/Chicago",
        start=date(2026, 3, 2),
        end=date(2026, 4, 1),
    )
    got = []
    after = z(2026, 3, 1, 0, 0)
    while (at := next_occurrence(plan, after)) is not None:
        got.append(at)
        after = at
    assert got == [z(2026, 3, 4, 16, 0), z(2026, 3, 18, 15, 0), z(2026, 4, 1, 15, 0)]


def test_an_inactive_plan_has_no_occurrence() -> None:
    plan = weekly("America/Chicago", "10:00", date(2026, 3, 1), active=False)
    assert next_occurrence(plan, z(2026, 3, 1, 0, 0)) is None


def test_a_plan_set_late_starts_with_the_next_occurrence() -> None:
    plan = weekly("America/Chicago", "10:00", date(2026, 1, 4))
    assert next_occurrence(plan, z(2026, 3, 8, 15, 0)) == z(2026, 3, 15, 15, 0)
    assert next_occurrence(plan, z(2026, 3, 8, 14, 59)) == z(2026, 3, 8, 15, 0)


def test_side_effect_window_after_a_start() -> None:
    plan = side_effect_window(
        changed=date(2026, 3, 2),
        zone="America/Denver",
        weeks=8,
        every_days=7,
        local_time="10:00",
        revision="r",
    )
    assert plan is not None
    got = []
    after = z(2026, 3, 1, 0, 0)
    while (at := next_occurrence(plan, after)) is not None:
        got.append(at.astimezone(ZoneInfo("America/Denver")).date())
        after = at
    assert got == [date(2026, 3, 2) + timedelta(weeks=w) for w in range(1, 9)]
    assert (
        side_effect_window(
            changed=date(2026, 3, 2),
            zone="UTC",
            weeks=0,
            every_days=7,
            local_time="10:00",
            revision="",
        )
        is None
    )


@given(
    zone=st.sampled_from(["America/Chicago", "America/Denver", "America/Los_Angeles"]),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 59]),
    every=st.sampled_from([1, 7, 14]),
    offset=st.integers(0, 400 * 24),
)
def test_occurrences_advance_once_per_local_day(
    zone: str, hour: int, minute: int, every: int, offset: int
) -> None:
    plan = Plan("PHQ-2", every, 6, f"{hour:02d}:{minute:02d}", zone, date(2026, 1, 1))
    after = z(2026, 1, 1, 0, 0) + timedelta(hours=offset)
    first = next_occurrence(plan, after)
    assert first is not None and first > after
    second = next_occurrence(plan, first)
    assert second is not None
    tz = ZoneInfo(zone)
    assert (second.astimezone(tz).date() - first.astimezone(tz).date()).days == every
