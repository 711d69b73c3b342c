"""Dose materialization across DST (domain 6.2-6.3) for Chicago, Denver and Los Angeles."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.adherence.rules.model import Plan, Segment
from services.adherence.rules.schedule import (
    dose_id,
    parse_dose_id,
    plan_doses,
    replan,
    resolve_local,
    time_label,
)
from tests.unit.adherence.support import CHICAGO, DENVER, LA, POLICY, plan, utc


@pytest.mark.parametrize(
    ("hhmm", "zone", "day", "expected"),
    [
        # domain 6.3 TZ-TESTS
        ("08:00", CHICAGO, date(2026, 3, 8), utc(2026, 3, 8, 13, 0)),
        ("08:00", CHICAGO, date(2026, 3, 7), utc(2026, 3, 7, 14, 0)),
        ("02:30", CHICAGO, date(2026, 3, 8), utc(2026, 3, 8, 8, 0)),
        ("01:30", CHICAGO, date(2026, 11, 1), utc(2026, 11, 1, 6, 30)),
        ("08:00", DENVER, date(2026, 3, 9), utc(2026, 3, 9, 14, 0)),
        ("08:00", LA, date(2026, 11, 2), utc(2026, 11, 2, 16, 0)),
        # the same policy in the other zones and years
        ("02:30", DENVER, date(2026, 3, 8), utc(2026, 3, 8, 9, 0)),
        ("01:30", DENVER, date(2026, 11, 1), utc(2026, 11, 1, 7, 30)),
        ("02:30", LA, date(2026, 3, 8), utc(2026, 3, 8, 10, 0)),
        ("01:30", LA, date(2026, 11, 1), utc(2026, 11, 1, 8, 30)),
        ("02:00", CHICAGO, date(2027, 3, 14), utc(2027, 3, 14, 8, 0)),
        ("02:59", LA, date(2027, 3, 14), utc(2027, 3, 14, 10, 0)),
        ("01:00", CHICAGO, date(2027, 11, 7), utc(2027, 11, 7, 6, 0)),
        ("03:00", CHICAGO, date(2026, 3, 8), utc(2026, 3, 8, 8, 0)),
        ("02:00", CHICAGO, date(2026, 11, 1), utc(2026, 11, 1, 8, 0)),
    ],
)
def test_local_time_resolves_to_the_instant_of_the_dst_policy(
    hhmm: str, zone: str, day: date, expected: datetime
) -> None:
    assert resolve_local(day, hhmm, zone) == expected


@pytest.mark.parametrize(
    ("zone", "spring", "fall"),
    [
        (CHICAGO, date(2026, 3, 8), date(2026, 11, 1)),
        (DENVER, date(2026, 3, 8), date(2026, 11, 1)),
        (LA, date(2027, 3, 14), date(2027, 11, 7)),
    ],
)
def test_dst_nights_yield_each_dose_once_with_its_scheduled_id(
    zone: str, spring: date, fall: date
) -> None:
    p = plan(times=("01:30", "02:30", "08:00"), zone=zone, start=date(2026, 1, 1))
    for night in (spring, fall):
        doses = plan_doses(p, night, night, POLICY)
        assert [d.dose_id for d in doses] == [
            f"plan-1:{night.isoformat()}:01:30",
            f"plan-1:{night.isoformat()}:02:30",
            f"plan-1:{night.isoformat()}:08:00",
        ]
    spring_doses = plan_doses(p, spring, spring, POLICY)
    gap_end = spring_doses[1].scheduled_at.astimezone(ZoneInfo(zone))
    assert (gap_end.hour, gap_end.minute) == (3, 0)  # the 02:30 dose fires at 03:00, once
    fall_doses = plan_doses(p, fall, fall, POLICY)
    first = fall_doses[0].scheduled_at.astimezone(ZoneInfo(zone))
    assert (first.hour, first.minute, first.fold) == (1, 30, 0)  # the first 01:30, once


def test_a_dst_week_has_one_dose_per_time_per_day() -> None:
    p = plan(times=("02:30", "20:00"), start=date(2026, 3, 1))
    doses = plan_doses(p, date(2026, 3, 5), date(2026, 3, 11), POLICY)
    assert len(doses) == 14
    assert len({d.dose_id for d in doses}) == 14
    assert all(a.scheduled_at < b.scheduled_at for a, b in itertools.pairwise(doses))


ZONES = st.sampled_from([CHICAGO, DENVER, LA])
TIMES = st.lists(
    st.builds(
        lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 59])
    ),
    min_size=1,
    max_size=8,
    unique=True,
)
# Days near the transitions are where the bugs live; sample them more often.
DAYS = st.one_of(
    st.dates(date(2025, 1, 1), date(2028, 12, 31)),
    st.sampled_from(
        [
            date(2025, 3, 9),
            date(2025, 11, 2),
            date(2026, 3, 8),
            date(2026, 11, 1),
            date(2027, 3, 14),
            date(2027, 11, 7),
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(zone=ZONES, times=TIMES, day=DAYS)
def test_every_local_day_yields_each_dose_time_exactly_once_in_order(
    zone: str, times: list[str], day: date
) -> None:
    p = plan(times=tuple(times), zone=zone, start=date(2024, 1, 1))
    doses = plan_doses(p, day, day, POLICY)
    assert [d.local_time for d in doses] == sorted(times)
    assert [d.dose_id for d in doses] == [dose_id("plan-1", day, t) for t in sorted(times)]
    instants = [d.scheduled_at for d in doses]
    assert instants == sorted(instants)
    tz = ZoneInfo(zone)
    for d in doses:
        local = d.scheduled_at.astimezone(tz)
        assert local.date() == day
        wall = datetime.combine(day, datetime.strptime(d.local_time, "%H:%M").time())
        if local.replace(tzinfo=None) != wall:  # only in the spring-forward gap
            assert local.replace(tzinfo=None) > wall
            before = (d.scheduled_at - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
            assert before < wall  # moved to the very end of the gap
        else:
            assert local.fold == 0  # a fold time fires at its first occurrence
        assert d.window_start <= d.scheduled_at <= d.window_end <= d.cutoff_at
        assert d.scheduled_at < d.cutoff_at


def test_dose_ids_round_trip() -> None:
    assert parse_dose_id("plan:x:2026-03-08:02:30") == ("plan:x", date(2026, 3, 8), "02:30")
    assert parse_dose_id("nonsense") is None
    assert parse_dose_id("p:2026-13-01:08:00") is None


@pytest.mark.parametrize(
    ("hhmm", "label"),
    [("08:00", "8:00 AM"), ("00:30", "12:30 AM"), ("12:00", "12:00 PM"), ("22:30", "10:30 PM")],
)
def test_time_labels(hhmm: str, label: str) -> None:
    assert time_label(hhmm) == label


def test_prn_plans_and_days_outside_the_plan_have_no_doses() -> None:
    assert plan_doses(plan(prn=True), date(2026, 3, 5), date(2026, 3, 6), POLICY) == []
    ended = plan(start=date(2026, 3, 5), end_date=date(2026, 3, 6))
    days = [d.local_date for d in plan_doses(ended, date(2026, 3, 1), date(2026, 3, 9), POLICY)]
    assert days == [date(2026, 3, 5), date(2026, 3, 6)]


def test_a_segment_changes_the_times_from_its_start() -> None:
    p = plan(times=("08:00",))
    p = Plan(
        **{**p.__dict__, "segments": (*p.segments, Segment(date(2026, 3, 10), ("21:00",), CHICAGO))}
    )
    doses = plan_doses(p, date(2026, 3, 9), date(2026, 3, 10), POLICY)
    assert [d.dose_id for d in doses] == ["plan-1:2026-03-09:08:00", "plan-1:2026-03-10:21:00"]


def test_replan_cancels_future_doses_the_schedule_dropped_and_keeps_due_ones() -> None:
    now = utc(2026, 3, 10, 15, 0)  # 10:00 CDT
    old = plan(times=("08:00", "20:00"))
    new = Plan(
        **{**old.__dict__, "segments": (Segment(old.start_date, ("08:00", "21:00"), CHICAGO),)}
    )
    existing = plan_doses(old, date(2026, 3, 10), date(2026, 3, 11), POLICY)
    desired = plan_doses(new, date(2026, 3, 10), date(2026, 3, 11), POLICY)
    change = replan(existing, desired, now=now, not_before=now, effective=date(2026, 3, 10))
    assert sorted(d.dose_id for d in change.cancel) == [
        "plan-1:2026-03-10:20:00",
        "plan-1:2026-03-11:08:00",
        "plan-1:2026-03-11:20:00",
    ]
    # 03-11 08:00 keeps its id but its cut-off moved (the next dose is later): re-created
    assert sorted(d.dose_id for d in change.create) == [
        "plan-1:2026-03-10:21:00",
        "plan-1:2026-03-11:08:00",
        "plan-1:2026-03-11:21:00",
    ]


def test_replan_is_idempotent_and_skips_doses_before_not_before() -> None:
    now = utc(2026, 3, 10, 15, 0)
    p = plan(times=("08:00", "20:00"))
    desired = plan_doses(p, date(2026, 3, 10), date(2026, 3, 11), POLICY)
    first = replan([], desired, now=now, not_before=now, effective=date(2026, 3, 10))
    assert next(d.dose_id for d in first.create) == "plan-1:2026-03-10:20:00"  # 08:00 is past
    again = replan(first.create, desired, now=now, not_before=now, effective=date(2026, 3, 10))
    assert again.create == [] and again.cancel == []
