"""The deterministic ids never change: literal UUIDs computed before ids moved to shared.ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from services.reminders.rules import Appointment, PlannedStep
from services.reminders.rules import messages as m
from services.reminders.settings import RemindersSection

START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
APPT = Appointment("ap-1", "p-1", "austin", START)


def test_a_reminder_keeps_its_notification_and_event_ids() -> None:
    step = PlannedStep("d3", START - timedelta(days=3), reask=True)
    request = m.reminder(APPT, step, now=NOW)
    assert request.dedup_key == "appt:ap-1:0:20260310T1930Z:d3"
    assert request.notification_id == UUID("8669ccb3-6379-5231-85fc-ed78a96e115f")
    assert request.event_id == UUID("b2154da3-076b-5e28-b5a1-bc4f2c1a85e5")
    assert request.source == "reminders"


def test_a_booking_notice_keeps_its_ids() -> None:
    request = m.booking_notice(replace(APPT, appointment_id="ap-9"), rescheduled=False, now=NOW)
    assert request.dedup_key == "appt:ap-9:0:20260310T1930Z:booked"
    assert request.notification_id == UUID("6ff50e50-09ca-54b5-988b-802d653fc1f6")
    assert request.event_id == UUID("51984621-ce70-574b-8f3d-d276248f0fce")


def test_a_rebook_invitation_keeps_its_ids() -> None:
    appt = replace(APPT, revision=2, start=datetime(2026, 3, 11, 15, 0, tzinfo=UTC))
    request = m.rebook_invitation(appt, RemindersSection().policy(), now=NOW)
    assert request.dedup_key == "appt:ap-1:2:20260311T1500Z:rebook"
    assert m.notification_id(request.dedup_key) == UUID("e5d44c76-bebc-53fc-a001-bea66cde312d")
    assert request.notification_id == UUID("e5d44c76-bebc-53fc-a001-bea66cde312d")
    assert request.event_id == UUID("70a9ded7-3a07-5009-8b47-3c230eb91a1a")
