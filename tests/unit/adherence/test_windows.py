"""Windows, follow-ups, caregiver notices and cut-offs per frequency (domain 3.2), and how a
report binds to a dose."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from services.adherence.rules.schedule import plan_doses
from services.adherence.rules.windows import bind_report, classify_taken, frequency
from tests.unit.adherence.support import CHICAGO, POLICY, plan, utc

H, M = timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("times", "which", "window", "followup", "caregiver", "cutoff"),
    [
        # once daily: +-2 h, follow-up T+60, cut-off T+12 h (next - 4 h is later)
        (("08:00",), 0, (-2 * H, 2 * H), 60 * M, 120 * M, 12 * H),
        # BID: +-1 h, follow-up T+30, cut-off halfway to the next dose
        (("08:00", "20:00"), 0, (-H, H), 30 * M, 90 * M, 6 * H),
        (("08:00", "20:00"), 1, (-H, H), 30 * M, 90 * M, 6 * H),
        # TID: the evening dose's next dose is tomorrow morning (12 h): halfway is 6 h
        (("08:00", "14:00", "20:00"), 0, (-H, H), 30 * M, 90 * M, 3 * H),
        (("08:00", "14:00", "20:00"), 2, (-H, H), 30 * M, 90 * M, 6 * H),
        # q4h (6 a day) is still +-1 h, halfway
        (("02:00", "06:00", "10:00", "14:00", "18:00", "22:00"), 2, (-H, H), 30 * M, 90 * M, 2 * H),
        # more often than q4h (q2h, 12 a day): +-25 % of the interval, cut-off at the next dose
        (
            tuple(f"{h:02d}:00" for h in range(0, 24, 2)),
            4,
            (-30 * M, 30 * M),
            30 * M,
            90 * M,
            2 * H,
        ),
        # irregular pair: windows never overlap, the follow-up would land on the cut-off
        (("08:00", "09:00"), 0, (-H, 30 * M), None, 30 * M, 30 * M),
        (("08:00", "09:00"), 1, (-30 * M, H), 30 * M, 90 * M, 11 * H + 30 * M),
    ],
)
def test_window_followup_caregiver_and_cutoff_per_frequency(
    times: tuple[str, ...],
    which: int,
    window: tuple[timedelta, timedelta],
    followup: timedelta | None,
    caregiver: timedelta,
    cutoff: timedelta,
) -> None:
    dose = plan_doses(plan(times=times), date(2026, 3, 10), date(2026, 3, 10), POLICY)[which]
    at = dose.scheduled_at
    assert (dose.window_start - at, dose.window_end - at) == window
    assert (dose.followup_at - at if dose.followup_at else None) == followup
    assert dose.caregiver_at - at == caregiver
    assert dose.cutoff_at - at == cutoff


@pytest.mark.parametrize(
    ("per_day", "kind"),
    [(1, "daily"), (2, "frequent"), (6, "frequent"), (7, "very_frequent"), (12, "very_frequent")],
)
def test_frequency_classes(per_day: int, kind: str) -> None:
    assert frequency(per_day, POLICY) == kind


def test_cutoffs_use_real_intervals_on_dst_nights() -> None:
    # 20:00 CDT on 31 Oct to 08:00 CST on 1 Nov is 13 real hours: halfway is 6 h 30 min.
    p = plan(times=("08:00", "20:00"), start=date(2026, 10, 1))
    evening = plan_doses(p, date(2026, 10, 31), date(2026, 10, 31), POLICY)[1]
    assert evening.cutoff_at - evening.scheduled_at == timedelta(hours=6, minutes=30)
    # and 11 real hours across spring-forward: 5 h 30 min
    p = plan(times=("08:00", "20:00"), start=date(2026, 3, 1))
    spring = plan_doses(p, date(2026, 3, 7), date(2026, 3, 7), POLICY)[1]
    assert spring.cutoff_at - spring.scheduled_at == timedelta(hours=5, minutes=30)


def test_a_daily_cutoff_is_twelve_hours_even_on_a_23_hour_day() -> None:
    dose = plan_doses(plan(), date(2026, 3, 7), date(2026, 3, 7), POLICY)[0]
    assert dose.cutoff_at - dose.scheduled_at == timedelta(hours=12)


DAILY = plan_doses(plan(), date(2026, 3, 10), date(2026, 3, 10), POLICY)[0]  # 13:00Z


@pytest.mark.parametrize(
    ("reported", "status"),
    [
        (utc(2026, 3, 10, 9, 0), "taken_on_time"),  # early (before the window) counts as on time
        (utc(2026, 3, 10, 11, 0), "taken_on_time"),  # window start
        (utc(2026, 3, 10, 15, 0), "taken_on_time"),  # window end
        (utc(2026, 3, 10, 15, 1), "taken_late"),
        (utc(2026, 3, 11, 1, 0), "taken_late"),  # the cut-off itself
        (utc(2026, 3, 11, 1, 1), None),  # after the cut-off: stays missed
    ],
)
def test_classify_taken(reported: datetime, status: str | None) -> None:
    assert classify_taken(reported, DAILY) == status


BID = plan_doses(plan(times=("08:00", "20:00")), date(2026, 3, 10), date(2026, 3, 10), POLICY)


@pytest.mark.parametrize(
    ("dose_id", "reported", "bound"),
    [
        ("plan-1:2026-03-10:08:00", utc(2026, 3, 10, 23, 0), "plan-1:2026-03-10:08:00"),  # exact
        ("app-123", utc(2026, 3, 10, 13, 40), "plan-1:2026-03-10:08:00"),  # inside the window
        ("app-123", utc(2026, 3, 11, 0, 50), "plan-1:2026-03-10:20:00"),
        ("app-123", utc(2026, 3, 10, 16, 0), "plan-1:2026-03-10:08:00"),  # late, before cut-off
        ("app-123", utc(2026, 3, 10, 22, 0), None),  # between a cut-off and the next window
        ("app-123", utc(2026, 3, 10, 5, 0), None),  # long before any window
    ],
)
def test_bind_report(dose_id: str, reported: datetime, bound: str | None) -> None:
    found = bind_report(dose_id, reported, BID)
    assert (found.dose_id if found else None) == bound


def test_bind_report_never_binds_to_a_closed_dose_by_time() -> None:
    closed = [replace(BID[0], status="taken_on_time"), BID[1]]
    assert bind_report("app-1", utc(2026, 3, 10, 13, 10), closed) is None
    assert CHICAGO  # the doses above are Chicago doses (13:00Z = 08:00 CDT)
