"""Roster lookup at given instants, on both DST change nights of every zone the network uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.escalation.rules.localtime import local_label, next_local, parse_local
from services.escalation.rules.roster import (
    Roster,
    RosterError,
    gaps,
    merge,
    on_call,
    prune,
    slots,
)


@dataclass(frozen=True)
class S:
    start_local: str
    end_local: str
    primary_id: str
    backup_id: str | None = None


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def day_night(first_day: datetime, days: int) -> list[S]:
    """08:00-20:00 'day' and 20:00-08:00 'night' shifts, back to back, in local time."""
    out = []
    for i in range(days):
        d = (first_day + timedelta(days=i)).date()
        n = d + timedelta(days=1)
        out.append(S(f"{d}T08:00", f"{d}T20:00", "day", "day-b"))
        out.append(S(f"{d}T20:00", f"{n}T08:00", "night", "night-b"))
    return out


def roster(
    zone: str, shifts: list[S], overrides: Sequence[S] = (), director: str | None = "dir"
) -> Roster:
    return Roster(
        "site", zone, slots(shifts, zone), slots(overrides, zone, kind="override"), director
    )


# zone, night (local date the night shift starts), night start (UTC), night end (UTC), hours
NIGHTS = [
    ("America/Chicago", "2026-03-07", "2026-03-08T02:00", "2026-03-08T13:00", 11),
    ("America/Chicago", "2026-10-31", "2026-11-01T01:00", "2026-11-01T14:00", 13),
    ("America/Denver", "2026-03-07", "2026-03-08T03:00", "2026-03-08T14:00", 11),
    ("America/Denver", "2026-10-31", "2026-11-01T02:00", "2026-11-01T15:00", 13),
    ("America/Los_Angeles", "2026-03-07", "2026-03-08T04:00", "2026-03-08T15:00", 11),
    ("America/Los_Angeles", "2026-10-31", "2026-11-01T03:00", "2026-11-01T16:00", 13),
]
# The UTC instant of each change (domain 6.2).
CHANGES = {
    ("America/Chicago", "2026-03-07"): "2026-03-08T08:00",
    ("America/Chicago", "2026-10-31"): "2026-11-01T07:00",
    ("America/Denver", "2026-03-07"): "2026-03-08T09:00",
    ("America/Denver", "2026-10-31"): "2026-11-01T08:00",
    ("America/Los_Angeles", "2026-03-07"): "2026-03-08T10:00",
    ("America/Los_Angeles", "2026-10-31"): "2026-11-01T09:00",
}


@pytest.mark.parametrize(("zone", "night", "start", "end", "hours"), NIGHTS)
def test_the_night_shift_on_a_change_night_is_11_or_13_hours(
    zone: str, night: str, start: str, end: str, hours: int
) -> None:
    morning = (datetime.fromisoformat(night) + timedelta(days=1)).date()
    [shift] = slots([S(f"{night}T20:00", f"{morning}T08:00", "n")], zone)
    assert (shift.start, shift.end) == (z(start), z(end))
    assert shift.end - shift.start == timedelta(hours=hours)


@pytest.mark.parametrize(("zone", "night", "start", "end", "hours"), NIGHTS)
@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("start-1s", "day"),
        ("start", "night"),
        ("change-1s", "night"),
        ("change", "night"),
        ("change+30m", "night"),
        ("end-1s", "night"),
        ("end", "day"),
    ],
)
def test_lookup_around_the_change(
    zone: str, night: str, start: str, end: str, hours: int, instant: str, expected: str
) -> None:
    points = {"start": z(start), "end": z(end), "change": z(CHANGES[(zone, night)])}
    base, _, delta = instant.partition("-") if "-" in instant else instant.partition("+")
    at = points[base]
    if delta:
        step = timedelta(seconds=1) if delta == "1s" else timedelta(minutes=30)
        at = at - step if "-" in instant else at + step
    r = roster(zone, day_night(datetime.fromisoformat(night) - timedelta(days=2), 5))
    found = on_call(r, at)
    assert found is not None and found.primary_id == expected
    assert found.backup_id == f"{expected}-b"


@pytest.mark.parametrize(("zone", "night", "start", "end", "hours"), NIGHTS)
def test_every_minute_of_a_change_weekend_has_exactly_one_primary(
    zone: str, night: str, start: str, end: str, hours: int
) -> None:
    first = datetime.fromisoformat(night) - timedelta(days=2)
    r = roster(zone, day_night(first, 5))
    window_start = z(start) - timedelta(days=1)
    window_end = z(end) + timedelta(days=1)
    assert gaps(r, window_start, window_end) == []
    at, nights = window_start, 0
    while at < window_end:
        covering = [s for s in r.shifts if s.covers(at)]
        assert len(covering) == 1, at  # no gap, no overlap
        nights += covering[0].primary_id == "night"
        at += timedelta(minutes=1)
    # The change night counts its true length; the nights either side are 12 h.
    assert nights == (hours + 12 + 12) * 60


@pytest.mark.parametrize(
    ("zone", "boundary", "utc"),
    [
        # A boundary inside the spring-forward gap is the end of the gap, for both shifts.
        ("America/Chicago", "2026-03-08T02:30", "2026-03-08T08:00"),
        ("America/Denver", "2026-03-08T02:30", "2026-03-08T09:00"),
        ("America/Los_Angeles", "2026-03-08T02:00", "2026-03-08T10:00"),
        # A boundary inside the fall-back fold is its first occurrence.
        ("America/Chicago", "2026-11-01T01:30", "2026-11-01T06:30"),
        ("America/Denver", "2026-11-01T01:30", "2026-11-01T07:30"),
        ("America/Los_Angeles", "2026-11-01T01:00", "2026-11-01T08:00"),
    ],
)
def test_a_boundary_in_the_gap_or_fold_leaves_no_hole_and_no_overlap(
    zone: str, boundary: str, utc: str
) -> None:
    day = boundary[:10]
    r = roster(zone, [S(f"{day}T00:00", boundary, "a"), S(boundary, f"{day}T12:00", "b")])
    assert r.shifts[0].end == r.shifts[1].start == z(utc)
    assert gaps(r, r.shifts[0].start, r.shifts[1].end) == []
    assert on_call(r, z(utc) - timedelta(seconds=1)).primary_id == "a"  # type: ignore[union-attr]
    assert on_call(r, z(utc)).primary_id == "b"  # type: ignore[union-attr]


def test_a_shift_wholly_inside_the_gap_is_dropped_and_a_reversed_one_refused() -> None:
    zone = "America/Chicago"
    assert slots([S("2026-03-08T02:00", "2026-03-08T02:45", "ghost")], zone) == ()
    with pytest.raises(RosterError, match="shift 0 ends before it starts"):
        slots([S("2026-03-09T08:00", "2026-03-09T07:00", "x")], zone)
    with pytest.raises(RosterError, match="shift 1 has an impossible date"):
        slots(
            [
                S("2026-03-09T08:00", "2026-03-09T09:00", "x"),
                S("2026-02-29T08:00", "2026-03-01T08:00", "y"),
            ],
            zone,
        )


def test_an_override_wins_and_keeps_the_shift_backup_unless_it_names_one() -> None:
    zone = "America/Chicago"
    r = roster(
        zone,
        day_night(datetime(2026, 3, 9), 2),
        [
            S("2026-03-09T12:00", "2026-03-09T14:00", "cover"),
            S("2026-03-09T13:00", "2026-03-09T15:00", "cover2", "cover2-b"),
        ],
    )
    assert on_call(r, z("2026-03-09T16:30")) is not None
    at_noon_thirty = parse_local("2026-03-09T12:30", zone)
    found = on_call(r, at_noon_thirty)
    assert found is not None and (found.primary_id, found.backup_id) == ("cover", "day-b")
    found = on_call(r, parse_local("2026-03-09T13:30", zone))  # both overrides: the later wins
    assert found is not None and (found.primary_id, found.backup_id) == ("cover2", "cover2-b")
    found = on_call(r, parse_local("2026-03-09T15:00", zone))
    assert found is not None and found.primary_id == "day" and not found.override


def test_nobody_on_call_outside_every_shift() -> None:
    r = roster("America/Denver", [S("2026-03-09T08:00", "2026-03-09T20:00", "a")])
    assert on_call(r, parse_local("2026-03-09T20:00", "America/Denver")) is None
    assert on_call(None, z("2026-03-09T20:00")) is None


def test_a_new_roster_replaces_the_old_one_only_for_the_period_it_covers() -> None:
    zone = "America/Los_Angeles"
    old = roster(
        zone,
        [S("2026-03-01T08:00", "2026-03-20T08:00", "old")],
        [S("2026-03-03T08:00", "2026-03-03T09:00", "old-ovr")],
    )
    new = roster(zone, [S("2026-03-05T08:00", "2026-03-10T08:00", "new")], director="dir2")
    merged = merge(old, new)
    assert [s.primary_id for s in merged.shifts] == ["old", "new", "old"]
    assert (
        gaps(merged, parse_local("2026-03-01T08:00", zone), parse_local("2026-03-20T08:00", zone))
        == []
    )
    assert on_call(merged, parse_local("2026-03-03T08:30", zone)).primary_id == "old-ovr"  # type: ignore[union-attr]
    assert merged.director_id == "dir2"
    only_overrides = roster(zone, [], [S("2026-03-12T08:00", "2026-03-12T09:00", "ovr")], None)
    merged2 = merge(merged, only_overrides)
    assert merged2.shifts == merged.shifts and merged2.director_id == "dir2"
    assert on_call(merged2, parse_local("2026-03-12T08:30", zone)).primary_id == "ovr"  # type: ignore[union-attr]
    pruned = prune(merged2, parse_local("2026-03-11T00:00", zone))
    assert [s.primary_id for s in pruned.shifts] == ["old"]


def test_gaps_are_the_uncovered_intervals_of_the_window() -> None:
    zone = "America/Chicago"
    r = roster(
        zone,
        [
            S("2026-03-09T08:00", "2026-03-09T20:00", "a"),
            S("2026-03-10T08:00", "2026-03-10T20:00", "b"),
        ],
    )
    start, end = parse_local("2026-03-09T06:00", zone), parse_local("2026-03-11T00:00", zone)
    labels = [(local_label(a, zone), local_label(b, zone)) for a, b in gaps(r, start, end)]
    assert labels == [
        ("2026-03-09 06:00 CDT", "2026-03-09 08:00 CDT"),
        ("2026-03-09 20:00 CDT", "2026-03-10 08:00 CDT"),
        ("2026-03-10 20:00 CDT", "2026-03-11 00:00 CDT"),
    ]
    assert gaps(None, start, end) == [(start, end)]


@pytest.mark.parametrize(
    ("now", "at", "zone", "expected"),
    [
        ("2026-03-07T15:00", "08:00", "America/Chicago", "2026-03-08T13:00"),  # CDT from today
        ("2026-03-06T15:00", "08:00", "America/Chicago", "2026-03-07T14:00"),  # CST
        ("2026-03-08T07:00", "02:30", "America/Chicago", "2026-03-08T08:00"),  # gap: 03:00 CDT
        ("2026-11-01T05:00", "01:30", "America/Chicago", "2026-11-01T06:30"),  # fold: first
        ("2026-03-08T15:00", "08:00", "America/Denver", "2026-03-09T14:00"),
        ("2026-11-01T17:00", "08:00", "America/Los_Angeles", "2026-11-02T16:00"),
    ],
)
def test_next_local_time_across_dst(now: str, at: str, zone: str, expected: str) -> None:
    assert next_local(z(now), at, zone) == z(expected)


ZONES = ("America/Chicago", "America/Denver", "America/Los_Angeles")


@given(
    zone=st.sampled_from(ZONES),
    night=st.sampled_from([datetime(2026, 3, 7), datetime(2026, 10, 31)]),
    minutes=st.lists(
        st.integers(min_value=1, max_value=3 * 24 * 60), min_size=1, max_size=12, unique=True
    ),
)
@settings(max_examples=300, deadline=None)
def test_back_to_back_shifts_never_overlap_or_leave_a_hole(
    zone: str, night: datetime, minutes: list[int]
) -> None:
    """Any local boundaries around a change night (in the gap, in the fold or not) give UTC
    slots that abut: exactly one primary at every instant from the first start to the last end."""
    points = [night + timedelta(minutes=m) for m in sorted({0, *minutes})]
    shifts = [
        S(f"{a:%Y-%m-%dT%H:%M}", f"{b:%Y-%m-%dT%H:%M}", f"c{i}")
        for i, (a, b) in enumerate(pairwise(points))
    ]
    r = roster(zone, shifts)
    start, end = parse_local(shifts[0].start_local, zone), parse_local(shifts[-1].end_local, zone)
    assert gaps(r, start, end) == []
    for a, b in pairwise(r.shifts):
        assert a.end == b.start  # no overlap, no hole
    assert sum((s.end - s.start for s in r.shifts), timedelta()) == end - start
