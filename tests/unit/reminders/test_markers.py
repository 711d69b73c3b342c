"""The sent and handled-event markers keep their Redis keys and values (markers written before a
deploy still count after it)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.events import AppointmentBooked, PatientEnrolled
from shared.testing.factories import sample
from tests.unit.reminders.conftest import Harness

START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)
P = "unit:reminders:claim:"


async def test_a_published_text_and_a_handled_event_leave_their_markers(h: Harness) -> None:
    redis = h.service.runtime.redis
    await h.publish(sample(PatientEnrolled, zone="America/Chicago", site_id="austin"))
    booked = sample(AppointmentBooked, site_id="austin", start=START)
    await h.publish(booked)
    assert [n.dedup_key for n in h.sent] == ["appt:ap-1:0:20260310T1930Z:booked"]
    assert await redis.get(P + "sent:appt:ap-1:0:20260310T1930Z:booked") == b"done:"
    assert await redis.get(P + f"event:{booked.event_id}") == b"done:"
    assert 0 < await redis.ttl(P + f"event:{booked.event_id}") <= 7 * 24 * 3600


async def test_markers_written_before_count(h: Harness) -> None:
    redis = h.service.runtime.redis
    await h.publish(sample(PatientEnrolled, zone="America/Chicago", site_id="austin"))
    await redis.set(P + "sent:appt:ap-1:0:20260310T1930Z:booked", "done:")
    await h.publish(sample(AppointmentBooked, site_id="austin", start=START))
    assert h.sent == []  # the notice went before
    handled = sample(AppointmentBooked, appointment_id="ap-2", site_id="austin", start=START)
    await redis.set(P + f"event:{handled.event_id}", "done:")
    await h.publish(handled)
    assert await redis.exists("unit:reminders:appt:ap-2") == 0  # skipped as handled
