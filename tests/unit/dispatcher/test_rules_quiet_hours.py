"""Quiet hours and wall-clock resolution: the domain 6 DST vectors, tables, and invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.dispatcher.rules.localtime import resolve_local, zone_abbreviation
from services.dispatcher.rules.quiet_hours import Window, is_exempt, next_allowed

CHI, DEN, LA = "America/Chicago", "America/Denver", "America/Los_Angeles"
DEFAULT = Window.parse("09:00", "20:00")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# domain 6.3 TZ-TESTS (dose schedules resolve local wall times the same way) and 4.3's vector.
@pytest.mark.parametrize(
    ("day", "at", "zone", "expected"),
    [
        (date(2026, 3, 8), time(8, 0), CHI, utc(2026, 3, 8, 13, 0)),
        (date(2026, 3, 7), time(8, 0), CHI, utc(2026, 3, 7, 14, 0)),
        (date(2026, 3, 8), time(2, 30), CHI, utc(2026, 3, 8, 8, 0)),  # the gap: 03:00 CDT
        (date(2026, 11, 1), time(1, 30), CHI, utc(2026, 11, 1, 6, 30)),  # the fold: first one
        (date(2026, 3, 9), time(8, 0), DEN, utc(2026, 3, 9, 14, 0)),
        (date(2026, 11, 2), time(8, 0), LA, utc(2026, 11, 2, 16, 0)),
        (date(2026, 3, 7), time(14, 30), CHI, utc(2026, 3, 7, 20, 30)),  # "3 days before", 4.3
        (date(2026, 3, 8), time(2, 0), DEN, utc(2026, 3, 8, 9, 0)),  # gap start itself
        (date(2027, 3, 14), time(2, 59), LA, utc(2027, 3, 14, 10, 0)),
    ],
)
def test_dst_vectors(day: date, at: time, zone: str, expected: datetime) -> None:
    assert resolve_local(day, at, zone) == expected


def test_gap_time_fires_once_and_fold_time_once() -> None:
    instants = {resolve_local(date(2026, 3, 8), time(2, m), CHI) for m in range(0, 60, 15)}
    assert instants == {utc(2026, 3, 8, 8, 0)}  # every gap minute maps to the gap's end
    assert resolve_local(date(2026, 11, 1), time(1, 30), CHI).astimezone(ZoneInfo(CHI)).fold == 0


# domain 6.3: Seattle patient, reminder due 2026-03-10T03:30Z = 20:30 PDT -> 09:00 PDT = 16:00Z
@pytest.mark.parametrize(
    ("now", "zone", "window", "expected"),
    [
        (utc(2026, 3, 10, 3, 30), LA, DEFAULT, utc(2026, 3, 10, 16, 0)),
        (utc(2026, 3, 11, 5, 0), LA, DEFAULT, utc(2026, 3, 11, 16, 0)),  # 22:00 PDT -> 09:00 PDT
        (utc(2026, 3, 10, 15, 59), LA, DEFAULT, utc(2026, 3, 10, 16, 0)),  # 08:59 -> 09:00
        (utc(2026, 3, 10, 16, 0), LA, DEFAULT, utc(2026, 3, 10, 16, 0)),  # 09:00 is allowed
        (utc(2026, 3, 11, 2, 59), LA, DEFAULT, utc(2026, 3, 11, 2, 59)),  # 19:59 allowed
        (utc(2026, 3, 11, 3, 0), LA, DEFAULT, utc(2026, 3, 11, 16, 0)),  # 20:00 is quiet
        (utc(2026, 3, 10, 14, 0), CHI, DEFAULT, utc(2026, 3, 10, 14, 0)),  # 09:00 CDT
        (utc(2026, 3, 10, 13, 0), CHI, DEFAULT, utc(2026, 3, 10, 14, 0)),  # 08:00 CDT
        (utc(2026, 3, 10, 13, 0), DEN, DEFAULT, utc(2026, 3, 10, 15, 0)),  # El Paso 07:00 MDT
        # spring-forward night: 22:00 CST Sat -> 09:00 CDT Sun (a 23-hour day)
        (utc(2026, 3, 8, 4, 0), CHI, DEFAULT, utc(2026, 3, 8, 14, 0)),
        # fall-back night: 21:00 CDT Sat -> 09:00 CST Sun (a 25-hour day)
        (utc(2026, 11, 1, 2, 0), CHI, DEFAULT, utc(2026, 11, 1, 15, 0)),
        # a 20:30 end on fall-back night happens once: 20:29 CST allowed, 20:31 CST not
        (utc(2026, 11, 2, 2, 29), CHI, Window.parse("09:00", "20:30"), utc(2026, 11, 2, 2, 29)),
        (utc(2026, 11, 2, 2, 31), CHI, Window.parse("09:00", "20:30"), utc(2026, 11, 2, 15, 0)),
        # a window that starts inside the gap opens at the gap's end
        (utc(2026, 3, 8, 7, 0), CHI, Window.parse("02:30", "20:00"), utc(2026, 3, 8, 8, 0)),
        # a patient window that wraps midnight (night shift worker: 18:00-02:00)
        (utc(2026, 3, 10, 6, 30), CHI, Window.parse("18:00", "02:00"), utc(2026, 3, 10, 6, 30)),
        (utc(2026, 3, 10, 8, 0), CHI, Window.parse("18:00", "02:00"), utc(2026, 3, 10, 23, 0)),
    ],
)
def test_next_allowed(now: datetime, zone: str, window: Window, expected: datetime) -> None:
    assert next_allowed(now, zone, window) == expected


@pytest.mark.parametrize(
    ("category", "priority", "kind", "chosen", "exempt"),
    [
        ("dose_reminder", "routine", "patient", True, True),  # the patient picked 22:30
        ("dose_reminder", "routine", "patient", False, False),
        ("appointment_reminder", "routine", "patient", False, False),
        ("clinician_page", "urgent", "clinician", False, True),
        ("clinician_page", "routine", "clinician", False, True),
        ("clinician_notice", "urgent", "clinician", False, True),
        ("clinician_notice", "routine", "clinician", False, False),
        ("crisis_resources", "urgent", "patient", False, True),
        ("help", "urgent", "patient", False, True),
        ("opt_out_confirmation", "urgent", "patient", False, True),
        (
            "checkin_item",
            "urgent",
            "patient",
            False,
            False,
        ),  # urgent is not an exemption for patients
        ("caregiver_missed_dose", "routine", "caregiver", False, False),
    ],
)
def test_exemptions(category: str, priority: str, kind: str, chosen: bool, exempt: bool) -> None:
    assert (
        is_exempt(
            category=category, priority=priority, recipient_kind=kind, patient_chosen_time=chosen
        )
        is exempt
    )


@pytest.mark.parametrize(
    ("instant", "zone", "abbr"),
    [
        (utc(2026, 3, 10, 19, 30), CHI, "CT"),
        (utc(2026, 1, 10, 19, 30), CHI, "CT"),
        (utc(2026, 3, 10, 19, 30), DEN, "MT"),
        (utc(2026, 3, 10, 19, 30), LA, "PT"),
    ],
)
def test_zone_abbreviation(instant: datetime, zone: str, abbr: str) -> None:
    assert zone_abbreviation(instant, zone) == abbr


ZONES = st.sampled_from([CHI, DEN, LA, "America/Phoenix", "America/New_York"])
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
HOURS = st.integers(min_value=0, max_value=23).map(lambda h: time(h, 0))


@settings(max_examples=400, deadline=None)
@given(now=INSTANTS, zone=ZONES, start=HOURS, length=st.integers(min_value=1, max_value=23))
def test_next_allowed_is_the_earliest_allowed_instant(
    now: datetime, zone: str, start: time, length: int
) -> None:
    end = time((start.hour + length) % 24, 0)
    window = Window(start, end)
    tz = ZoneInfo(zone)
    result = next_allowed(now, zone, window)
    assert result >= now
    assert result - now <= timedelta(hours=25)
    local = result.astimezone(tz)
    if result == now:
        assert window.contains(local.time().replace(tzinfo=None))
    else:
        # Deferred to an opening of the window (the gap's end if the start does not exist)...
        assert window.contains(local.time().replace(tzinfo=None)) or local.minute == 0
        # ...and nothing earlier was allowed: probe every 10 minutes in between.
        probe = now
        while probe < result - timedelta(minutes=10):
            probe += timedelta(minutes=10)
            if probe < result:
                assert not window.contains(probe.astimezone(tz).time().replace(tzinfo=None))


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    zone=ZONES,
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_resolve_local_is_never_before_the_wall_time_and_never_skips(
    day: date, zone: str, at: time
) -> None:
    instant = resolve_local(day, at, zone)
    local = instant.astimezone(ZoneInfo(zone))
    assert local.date() == day
    naive = datetime.combine(day, at)
    # Either the wall time itself (first occurrence), or the end of a gap it fell into.
    assert local.replace(tzinfo=None) >= naive
    assert local.replace(tzinfo=None) - naive <= timedelta(hours=1)
    if local.replace(tzinfo=None) == naive:
        assert local.fold == 0 or naive.replace(tzinfo=ZoneInfo(zone), fold=0) == local
