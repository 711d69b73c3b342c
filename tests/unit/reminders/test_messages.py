"""The notification requests: template ids, PHI-free variables, deterministic ids and keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.reminders.rules import Appointment, PlannedStep
from services.reminders.rules import messages as m
from services.reminders.settings import RemindersSection
from shared.events import NotificationRequested, parse_event
from shared.topics import NOTIFY_ROUTINE

POLICY = RemindersSection().policy()
START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
APPT = Appointment("ap-1", "p-1", "austin", START, correlation_id="corr-1")
TELE = replace(APPT, modality="telehealth", join_url="https://visit.example/j/abc123")
D3 = PlannedStep("d3", START - timedelta(days=3), reask=True)
H2 = PlannedStep("h2", START - timedelta(hours=2))


def test_dedup_key_names_appointment_revision_slot_and_offset() -> None:
    assert m.dedup_key(APPT, "d3") == "appt:ap-1:0:20260310T1930Z:d3"
    assert m.dedup_key(replace(APPT, revision=2), "d3") == "appt:ap-1:2:20260310T1930Z:d3"


def test_ids_are_deterministic_so_a_re_fire_repeats_the_same_request() -> None:
    first = m.reminder(APPT, D3, now=NOW)
    again = m.reminder(APPT, D3, now=NOW + timedelta(minutes=5))
    assert first.notification_id == again.notification_id == m.notification_id(first.dedup_key)
    assert first.event_id == again.event_id != first.notification_id
    assert m.reminder(replace(APPT, revision=1), D3, now=NOW).notification_id != (
        first.notification_id
    )


@pytest.mark.parametrize(
    ("request_", "template", "extra", "replies", "expires"),
    [
        (
            m.booking_notice(APPT, rescheduled=False, now=NOW),
            "appointment_booked",
            {"rescheduled": "no"},
            True,
            START,
        ),
        (
            m.booking_notice(APPT, rescheduled=True, now=NOW),
            "appointment_booked",
            {"rescheduled": "yes"},
            True,
            START,
        ),
        (m.reminder(APPT, D3, now=NOW), "appointment_reminder", {"ask": "yes"}, True, START),
        (m.reminder(APPT, H2, now=NOW), "appointment_reminder", {"ask": "no"}, True, START),
        (m.cancellation_notice(APPT, now=NOW), "appointment_cancelled", {}, False, START),
        (
            m.rebook_invitation(APPT, POLICY, now=NOW),
            "appointment_rebook",
            {},
            True,
            START + timedelta(hours=73),
        ),
    ],
)
def test_requests(
    request_: NotificationRequested,
    template: str,
    extra: dict[str, str],
    replies: bool,
    expires: datetime,
) -> None:
    assert request_.template_id == template
    assert request_.category == template  # one category per template
    # an instant and a modality, nothing about the patient (the dispatcher renders the time)
    assert request_.variables == {"start": "2026-03-10T19:30:00Z", "modality": "in_person", **extra}
    assert request_.recipient.kind == "patient" and request_.recipient.id == "p-1"
    assert request_.patient_id == "p-1" and request_.site_id == "austin"
    assert request_.kafka_key() == b"p-1"
    assert request_.priority == "routine" and not request_.patient_chosen_time
    assert request_.expires_at == expires
    assert request_.correlation_id == "corr-1"
    assert (request_.reply_context.kind, request_.reply_context.ref) == (
        ("appointment", "ap-1") if replies else ("none", "")
    )
    # what goes on the wire is what the dispatcher will read
    assert parse_event(NOTIFY_ROUTINE, request_.model_dump(mode="json")) == request_


def test_telehealth_carries_the_join_link() -> None:
    request_ = m.reminder(TELE, H2, now=NOW)
    assert request_.variables["join_url"] == "https://visit.example/j/abc123"
    assert request_.variables["modality"] == "telehealth"
    assert "join_url" not in m.reminder(APPT, H2, now=NOW).variables


def test_rebook_goes_an_hour_after_the_start_or_now_if_later() -> None:
    assert m.rebook_due(APPT, POLICY, NOW) == START + timedelta(hours=1)
    late = START + timedelta(hours=5)
    assert m.rebook_due(APPT, POLICY, late) == late
