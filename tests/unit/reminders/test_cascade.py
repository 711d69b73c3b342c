"""Cascade planning, what to keep and cancel, and what a firing timer does (domain 4.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.reminders.rules import (
    REBOOK,
    Appointment,
    PlannedStep,
    Profile,
    TimerActions,
    fire_decision,
    plan,
    timer_actions,
)
from services.reminders.settings import RemindersSection

POLICY = RemindersSection().policy()
AUSTIN = POLICY.site("austin")
START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)  # Tue 14:30 CDT
APPT = Appointment("ap-1", "p-1", "austin", START)
TELE = replace(APPT, modality="telehealth")
CHI = Profile(zone="America/Chicago")
H, D = timedelta(hours=1), timedelta(days=1)
T0 = START - 5 * D


def due(steps: list[PlannedStep]) -> dict[str, datetime]:
    return {s.name: s.due for s in steps}


def names(steps: list[PlannedStep]) -> list[str]:
    return [s.name for s in steps]


def test_default_cascade_in_person_over_the_spring_dst_change() -> None:
    steps = plan(APPT, AUSTIN, "America/Chicago")
    assert names(steps) == ["d3", "d1", "h2"]
    assert due(steps) == {
        "d3": datetime(2026, 3, 7, 20, 30, tzinfo=UTC),  # 14:30 CST, not 19:30Z (absolute 72 h)
        "d1": datetime(2026, 3, 9, 19, 30, tzinfo=UTC),
        "h2": datetime(2026, 3, 10, 17, 30, tzinfo=UTC),  # an absolute 2 h
    }
    assert [s.reask for s in steps] == [True, True, False]


def test_telehealth_ends_with_the_15_minute_nudge() -> None:
    steps = plan(TELE, AUSTIN, "America/Chicago")
    assert names(steps) == ["d3", "d1", "m15"]
    assert due(steps)["m15"] == START - timedelta(minutes=15)


def test_day_before_reminders_follow_the_patients_wall_clock() -> None:
    pacific = plan(APPT, AUSTIN, "America/Los_Angeles")
    assert due(pacific)["d3"] == datetime(2026, 3, 7, 20, 30, tzinfo=UTC)  # 12:30 PST
    fall = replace(APPT, start=datetime(2026, 11, 2, 16, 0, tzinfo=UTC))  # Mon 10:00 CST
    assert due(plan(fall, AUSTIN, "America/Chicago"))["d3"] == datetime(
        2026, 10, 30, 15, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("appt", "booked_ahead", "scheduled"),
    [
        (APPT, 5 * D, ["d3", "d1", "h2"]),
        (APPT, 50 * H, ["d1", "h2"]),
        (APPT, 20 * H, ["h2"]),  # acceptance: skips 72 h and 24 h, keeps the final nudge
        (APPT, 2 * H + timedelta(seconds=1), ["h2"]),
        (APPT, 2 * H, []),  # due exactly now: not fired late
        (APPT, H, []),
        (TELE, 20 * H, ["m15"]),
        (TELE, H, ["m15"]),
        (TELE, timedelta(minutes=10), []),
    ],
)
def test_reminders_already_past_at_booking_are_skipped(
    appt: Appointment, booked_ahead: timedelta, scheduled: list[str]
) -> None:
    steps = plan(appt, AUSTIN, "America/Chicago")
    actions = timer_actions(
        steps, appt, CHI, now=appt.start - booked_ahead, existing={}, stale=set(), sent=set()
    )
    assert names(actions.schedule) == scheduled
    assert actions.cancel == []


NOW = START - 2 * D  # after d3, before d1
PLANNED = plan(APPT, AUSTIN, "America/Chicago")
IN_PLACE = {s.name: s.due for s in PLANNED if s.name != "d3"}


@pytest.mark.parametrize(
    ("case", "appt", "profile", "existing", "stale", "sent", "schedule", "cancel"),
    [
        ("nothing changed", APPT, CHI, IN_PLACE, set(), {"d3"}, [], []),
        ("lost timers come back", APPT, CHI, {}, set(), {"d3"}, ["d1", "h2"], []),
        ("sent steps are not planned again", APPT, CHI, {}, set(), {"d3", "d1"}, ["h2"], []),
        (
            "in flight is left alone",
            APPT,
            CHI,
            {"d1": None, "h2": IN_PLACE["h2"]},
            set(),
            set(),
            [],
            [],
        ),
        ("a moved step is moved", APPT, CHI, {**IN_PLACE, "d1": NOW + H}, set(), set(), ["d1"], []),
        (
            "confirmed: re-asks stop, the nudge stays",
            replace(APPT, confirmed=True),
            CHI,
            IN_PLACE,
            set(),
            set(),
            [],
            ["d1"],
        ),
        (
            "reschedule requested: everything stops",
            replace(APPT, change_requested="reschedule"),
            CHI,
            IN_PLACE,
            set(),
            set(),
            [],
            ["d1", "h2"],
        ),
        (
            "cancel requested: everything stops",
            replace(APPT, change_requested="cancel"),
            CHI,
            IN_PLACE,
            set(),
            set(),
            [],
            ["d1", "h2"],
        ),
        (
            "cancelled",
            replace(APPT, status="cancelled"),
            CHI,
            IN_PLACE,
            set(),
            set(),
            [],
            ["d1", "h2"],
        ),
        (
            "completed",
            replace(APPT, status="completed"),
            CHI,
            IN_PLACE,
            set(),
            set(),
            [],
            ["d1", "h2"],
        ),
        (
            "discharged",
            APPT,
            replace(CHI, discharged=True),
            IN_PLACE,
            set(),
            set(),
            [],
            ["d1", "h2"],
        ),
        (
            "a new slot replaces the old timers",
            APPT,
            CHI,
            {},
            {"d1", "h2"},
            set(),
            ["d1", "h2"],
            [],
        ),
        (
            "an old slot's past step is cancelled",
            APPT,
            CHI,
            {},
            {"d3", "d1", "h2"},
            set(),
            ["d1", "h2"],
            ["d3"],
        ),
        (
            "a step of the other modality is cancelled",
            APPT,
            CHI,
            {**IN_PLACE, "m15": NOW + H},
            set(),
            set(),
            [],
            ["m15"],
        ),
        (
            "a rebook timer waits for a no-show only",
            APPT,
            CHI,
            {**IN_PLACE, REBOOK: NOW},
            set(),
            set(),
            [],
            [REBOOK],
        ),
        (
            "no-show keeps its rebook timer",
            replace(APPT, status="no_show"),
            CHI,
            {REBOOK: NOW},
            set(),
            set(),
            [],
            [],
        ),
    ],
)
def test_what_to_schedule_and_cancel(
    case: str,
    appt: Appointment,
    profile: Profile,
    existing: dict[str, datetime | None],
    stale: set[str],
    sent: set[str],
    schedule: list[str],
    cancel: list[str],
) -> None:
    actions = timer_actions(
        PLANNED, appt, profile, now=NOW, existing=existing, stale=stale, sent=sent
    )
    assert names(actions.schedule) == schedule, case
    assert actions.cancel == cancel, case


@pytest.mark.parametrize(
    ("case", "name", "revision", "appt", "profile", "now", "decision"),
    [
        ("due", "d3", 0, APPT, CHI, PLANNED[0].due, "send"),
        ("no record", "d3", 0, None, CHI, NOW, "unknown_appointment"),
        ("planned for an earlier slot", "d1", 0, replace(APPT, revision=1), CHI, NOW, "stale"),
        ("cancelled", "d1", 0, replace(APPT, status="cancelled"), CHI, NOW, "cancelled"),
        ("confirmed re-ask", "d1", 0, replace(APPT, confirmed=True), CHI, NOW, "confirmed"),
        ("confirmed final nudge", "h2", 0, replace(APPT, confirmed=True), CHI, NOW, "send"),
        (
            "change requested",
            "h2",
            0,
            replace(APPT, change_requested="cancel"),
            CHI,
            NOW,
            "change_requested",
        ),
        ("discharged", "d1", 0, APPT, replace(CHI, discharged=True), NOW, "discharged"),
        ("no longer in the cascade", "m15", 0, APPT, CHI, NOW, "not_in_cascade"),
        (
            "late after downtime: the later one goes",
            "d3",
            0,
            APPT,
            CHI,
            IN_PLACE["d1"],
            "superseded",
        ),
        ("late, the latest due still goes", "d1", 0, APPT, CHI, IN_PLACE["d1"] + H, "send"),
        ("rebook after a no-show", REBOOK, 0, replace(APPT, status="no_show"), CHI, NOW, "send"),
        (
            "rebook for an appointment that was kept",
            REBOOK,
            0,
            replace(APPT, status="completed"),
            CHI,
            NOW,
            "not_no_show",
        ),
    ],
)
def test_fire_decision(
    case: str,
    name: str,
    revision: int,
    appt: Appointment | None,
    profile: Profile,
    now: datetime,
    decision: str,
) -> None:
    assert fire_decision(name, revision, appt, profile, AUSTIN, now=now) == decision, case


@pytest.mark.parametrize(
    ("case", "now", "since", "scheduled"),
    [
        (
            "handled late: what came due after the booking is created",
            IN_PLACE["d1"] + H,
            PLANNED[0].due - H,
            ["d3", "d1", "h2"],
        ),
        (
            "handled late: what was due before the booking is not",
            IN_PLACE["d1"] + H,
            PLANNED[0].due + H,
            ["d1", "h2"],
        ),
        ("an old booking replayed after the start: nothing", START + H, START - 5 * D, []),
    ],
)
def test_a_booking_handled_late(
    case: str, now: datetime, since: datetime, scheduled: list[str]
) -> None:
    actions = timer_actions(
        PLANNED, APPT, CHI, now=now, since=since, existing={}, stale=set(), sent=set()
    )
    assert names(actions.schedule) == scheduled, case


def test_a_timer_in_place_is_left_alone_at_millisecond_precision() -> None:
    appt = replace(APPT, start=START + timedelta(microseconds=123_456))
    steps = plan(appt, AUSTIN, "America/Chicago")
    stored = {s.name: s.due.replace(microsecond=s.due.microsecond // 1000 * 1000) for s in steps}
    actions = timer_actions(steps, appt, CHI, now=T0, existing=stored, stale=set(), sent=set())
    assert actions == TimerActions()


def test_nothing_fires_once_the_appointment_has_started() -> None:
    late = START + timedelta(minutes=1)
    assert fire_decision("h2", 0, APPT, CHI, AUSTIN, now=late) == "started"
    assert fire_decision(REBOOK, 0, replace(APPT, status="no_show"), CHI, AUSTIN, now=late) == (
        "send"
    )
