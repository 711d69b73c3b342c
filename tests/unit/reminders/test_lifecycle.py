"""How appointment events change the state reminders track."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.reminders.rules import Appointment
from services.reminders.rules import lifecycle as lc
from services.reminders.rules.model import Modality

START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)
LATER = START + timedelta(days=1)
APPT = Appointment("ap-1", "p-1", "austin", START)


def book(current: Appointment | None, start: datetime = START) -> Appointment:
    return lc.booked(
        current,
        appointment_id="ap-1",
        patient_id="p-1",
        site_id="austin",
        start=start,
        modality="in_person",
        join_url=None,
        correlation_id=None,
    )


def move(
    current: Appointment | None,
    start: datetime = LATER,
    site: str | None = "austin",
    modality: Modality | None = None,
) -> Appointment | None:
    return lc.rescheduled(
        current,
        appointment_id="ap-1",
        patient_id="p-1",
        start=start,
        modality=modality,
        site_id=site,
        correlation_id=None,
    )


CONFIRMED = replace(APPT, confirmed=True)


@pytest.mark.parametrize(
    ("case", "result", "expected"),
    [
        ("a new booking", book(None), APPT),
        ("a repeated booking keeps the confirmation", book(CONFIRMED), CONFIRMED),
        (
            "a re-booking of a cancelled slot is a new revision",
            book(replace(APPT, status="cancelled")),
            replace(APPT, revision=1),
        ),
        (
            "a booking at another start is a new revision",
            book(CONFIRMED, LATER),
            replace(APPT, start=LATER, revision=1),
        ),
        (
            "reschedule: new start, unconfirmed, next revision",
            move(CONFIRMED),
            replace(APPT, start=LATER, revision=1),
        ),
        (
            "reschedule answers a change request",
            move(replace(APPT, change_requested="reschedule")),
            replace(APPT, start=LATER, revision=1),
        ),
        ("reschedule to the same slot changes nothing", move(CONFIRMED, START), CONFIRMED),
        (
            "reschedule may change the modality",
            move(APPT, START, modality="telehealth"),
            replace(APPT, modality="telehealth", revision=1),
        ),
        (
            "reschedule does not revive a cancelled appointment",
            move(replace(APPT, status="cancelled")),
            replace(APPT, status="cancelled"),
        ),
        (
            "reschedule of an unseen appointment at a known site",
            move(None),
            replace(APPT, start=LATER),
        ),
        ("reschedule of an unseen appointment, site unknown", move(None, site=None), None),
        ("confirm", lc.confirmed(replace(APPT, change_requested="cancel")), CONFIRMED),
        (
            "confirm after cancel",
            lc.confirmed(replace(APPT, status="cancelled")),
            replace(APPT, status="cancelled"),
        ),
        (
            "change request",
            lc.change_requested(CONFIRMED, "reschedule"),
            replace(APPT, change_requested="reschedule"),
        ),
        ("cancel", lc.ended(CONFIRMED, "cancelled"), replace(CONFIRMED, status="cancelled")),
        (
            "the first end sticks",
            lc.ended(replace(APPT, status="no_show"), "cancelled"),
            replace(APPT, status="no_show"),
        ),
    ],
)
def test_transitions(case: str, result: Appointment | None, expected: Appointment | None) -> None:
    assert result == expected, case
