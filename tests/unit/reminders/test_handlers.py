"""The reminders service end to end in memory: events in, timers fired, texts requested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.reminders.timers import fire
from shared.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentChangeRequested,
    AppointmentCompleted,
    AppointmentConfirmed,
    AppointmentNoShow,
    AppointmentRescheduled,
    PatientContactChanged,
    PatientDischarged,
    PatientEnrolled,
)
from shared.testing.factories import sample
from tests.unit.reminders.conftest import Harness

START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)  # Tue 14:30 CDT
D3 = datetime(2026, 3, 7, 20, 30, tzinfo=UTC)
D1 = datetime(2026, 3, 9, 19, 30, tzinfo=UTC)
H2 = START - timedelta(hours=2)


def key(what: str, revision: int = 0, start: datetime = START) -> str:
    return f"appt:ap-1:{revision}:{start:%Y%m%dT%H%MZ}:{what}"


async def enrol(h: Harness, zone: str = "America/Chicago", **kw: object) -> None:
    await h.publish(sample(PatientEnrolled, zone=zone, site_id="austin", **kw))


async def book(h: Harness, start: datetime = START, **kw: object) -> AppointmentBooked:
    event = sample(AppointmentBooked, site_id="austin", start=start, **kw)
    await h.publish(event)
    return event


async def test_booking_confirms_then_reminds_on_the_wall_clock_across_dst(h: Harness) -> None:
    await enrol(h)
    await book(h)
    assert h.keys() == [key("booked")]
    assert await h.at(D3 - timedelta(seconds=1)) == []
    # domain 4.3: 3 days before at 14:30 local is 20:30Z (CST), not 19:30Z
    assert [n.dedup_key for n in await h.at(D3)] == [key("d3")]
    fired = await h.run_until(START + timedelta(days=1))
    assert [(at, n.dedup_key) for at, n in fired] == [(D1, key("d1")), (H2, key("h2"))]
    assert [n.variables["ask"] for n in h.sent[1:]] == ["yes", "yes", "no"]
    assert len({n.notification_id for n in h.sent}) == 4
    assert await h.service.context.timers.pending() == 0


async def test_booking_20_hours_ahead_keeps_only_confirmation_and_final_nudge(h: Harness) -> None:
    await enrol(h)
    h.clock.set(START - timedelta(hours=20))
    await book(h)
    await h.run_until(START)
    assert h.keys() == [key("booked"), key("h2")]


async def test_booking_before_the_profile_arrives_plans_on_the_site_then_the_patient(
    h: Harness,
) -> None:
    await book(h)  # no profile yet: the site's zone, Chicago
    assert h.keys() == [key("booked")]
    assert h.sent[0].variables["start"] == "2026-03-10T19:30:00Z"
    # a telehealth patient in Arizona (no DST): "3 days before" keeps their own wall clock,
    # 12:30 MST on Saturday = 19:30Z, not the site's 14:30 CST = 20:30Z
    await enrol(h, zone="America/Phoenix")
    fired = await h.run_until(D3)
    assert [(at, n.dedup_key) for at, n in fired] == [(D3 - timedelta(hours=1), key("d3"))]
    await h.publish(sample(PatientContactChanged, zone="America/Chicago"))
    fired = await h.run_until(D1)
    assert [(at, n.dedup_key) for at, n in fired] == [(D1, key("d1"))]


async def test_reschedule_cancels_the_rest_and_plans_the_new_slot(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await h.run_until(D3)
    new = START + timedelta(days=7)
    await h.publish(sample(AppointmentRescheduled, start=new, previous_start=START))
    assert h.sent[-1].dedup_key == key("booked", 1, new)
    assert h.sent[-1].variables["rescheduled"] == "yes"
    fired = await h.run_until(new)
    assert [n.dedup_key for _, n in fired] == [
        key("d3", 1, new),
        key("d1", 1, new),
        key("h2", 1, new),
    ]


async def test_reschedule_back_to_the_old_slot_is_announced_again(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await h.publish(sample(AppointmentRescheduled, start=START + timedelta(days=1)))
    await h.publish(sample(AppointmentRescheduled, start=START))
    assert h.keys() == [
        key("booked"),
        key("booked", 1, START + timedelta(days=1)),
        key("booked", 2),
    ]


async def test_cancel_sends_one_notice_and_nothing_after(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await h.run_until(D3)
    cancel = sample(AppointmentCancelled, cancelled_by="patient")
    await h.publish(cancel)
    await h.publish(cancel)  # redelivered
    await h.publish(sample(AppointmentCancelled))  # and said twice
    await h.run_until(START + timedelta(days=2))
    assert h.keys() == [key("booked"), key("d3"), key("cancelled")]
    assert h.sent[-1].template_id == "appointment_cancelled"
    assert await h.service.context.timers.pending() == 0


async def test_confirmation_stops_the_re_asks_but_keeps_the_final_nudge(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await h.run_until(D3)
    await h.publish(sample(AppointmentConfirmed))
    await h.run_until(START)
    assert h.keys() == [key("booked"), key("d3"), key("h2")]


async def test_change_requests_stop_the_reminders_until_staff_act(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await h.run_until(D3)
    await h.publish(sample(AppointmentChangeRequested, request="cancel"))
    await h.run_until(D1 + timedelta(hours=1))
    assert h.keys() == [key("booked"), key("d3")]
    await h.publish(sample(AppointmentCancelled))
    await h.run_until(START)
    assert h.keys() == [key("booked"), key("d3"), key("cancelled")]


async def test_a_reschedule_request_then_a_confirmation_brings_the_nudge_back(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await h.publish(sample(AppointmentChangeRequested, request="reschedule"))
    await h.run_until(D1 + timedelta(hours=1))
    assert h.keys() == [key("booked")]
    await h.publish(sample(AppointmentConfirmed))
    await h.run_until(START)
    assert h.keys() == [key("booked"), key("h2")]


async def test_no_show_invites_to_rebook_an_hour_later(h: Harness) -> None:
    await enrol(h)
    h.clock.set(START - timedelta(hours=3))
    await book(h)
    await h.run_until(START + timedelta(minutes=20))
    await h.publish(sample(AppointmentNoShow))
    fired = await h.run_until(START + timedelta(hours=3))
    assert [(at, n.dedup_key) for at, n in fired] == [(START + timedelta(hours=1), key("rebook"))]
    assert h.sent[-1].template_id == "appointment_rebook"
    assert h.sent[-1].reply_context.ref == "ap-1"


async def test_completed_and_discharged_get_nothing_more(h: Harness) -> None:
    await enrol(h)
    await book(h)
    await book(h, appointment_id="ap-2", start=START + timedelta(days=10))
    await h.publish(sample(AppointmentCompleted))
    await h.publish(sample(PatientDischarged))
    assert await h.service.context.timers.pending() == 0
    await h.run_until(START + timedelta(days=11))
    assert h.keys() == [key("booked"), "appt:ap-2:0:20260320T1930Z:booked"]


async def test_telehealth_nudge_carries_the_join_link(h: Harness) -> None:
    await enrol(h)
    await book(h, modality="telehealth", join_url="https://visit.example/j/x1")
    await h.run_until(START)
    assert h.keys()[-1] == key("m15")
    assert h.sent[-1].variables["join_url"] == "https://visit.example/j/x1"


async def test_redelivered_events_and_re_fired_timers_request_each_text_once(h: Harness) -> None:
    await enrol(h)
    booked = await book(h)
    await h.publish(booked)
    # a worker claims the d3 timer and dies before completing it: the lease runs out
    h.clock.set(D3)
    claimed = await h.service.context.timers.claim(D3, lease_seconds=30)
    assert [t.key for t in claimed] == ["ap-1:d3"]
    assert await h.at(D3 + timedelta(seconds=31)) != []  # re-fired after the lease
    # a timer fired twice (the first firing published but was not completed) publishes once
    await fire(h.service.context, claimed[0])
    await h.run_until(START)
    assert h.keys() == [key("booked"), key("d3"), key("d1"), key("h2")]


async def test_events_for_unknown_appointments_are_harmless(h: Harness) -> None:
    for event in (
        sample(AppointmentCancelled),
        sample(AppointmentConfirmed),
        sample(AppointmentNoShow),
        sample(AppointmentRescheduled, site_id=None),
    ):
        await h.publish(event)
    assert h.sent == []
    assert await h.service.context.timers.pending() == 0


async def test_a_booking_handled_late_loses_no_reminder_and_sends_only_the_latest(
    h: Harness,
) -> None:
    await enrol(h)
    h.clock.set(D1 + timedelta(hours=1))  # the consumer was down from before d3 until after d1
    await h.publish(
        sample(AppointmentBooked, site_id="austin", start=START),
        occurred_at=D3 - timedelta(hours=1),
    )
    fired = await h.run_until(START)
    assert h.keys() == [key("booked"), key("d1"), key("h2")]
    assert fired[0][0] == D1 + timedelta(hours=1)  # at once, not a day late


async def test_a_booking_handled_late_still_skips_what_was_past_when_booked(h: Harness) -> None:
    await enrol(h)
    h.clock.set(START - timedelta(hours=10))
    await h.publish(
        sample(AppointmentBooked, site_id="austin", start=START),
        occurred_at=START - timedelta(hours=20),
    )
    await h.run_until(START)
    assert h.keys() == [key("booked"), key("h2")]
