"""The contract with the dispatcher: every text reminders request renders with its templates, and
shows the appointment in the patient's own zone (El Paso: Mountain, Seattle: Pacific)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dispatcher.texts.templates import TEMPLATES, SiteText, render
from services.reminders.rules import Appointment, PlannedStep
from services.reminders.rules import messages as m
from services.reminders.settings import RemindersSection
from shared.events import NotificationRequested

START = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)  # Tue 14:30 CDT at the Austin site
NOW = START - timedelta(days=4)
APPT = Appointment("ap-1", "p-1", "austin", START)
SITE = SiteText("Northside Clinic", "512-555-0100")


def requests() -> list[NotificationRequested]:
    return [
        m.booking_notice(APPT, rescheduled=False, now=NOW),
        m.reminder(APPT, PlannedStep("d3", START - timedelta(days=3), reask=True), now=NOW),
        m.reminder(APPT, PlannedStep("h2", START - timedelta(hours=2)), now=NOW),
        m.cancellation_notice(APPT, now=NOW),
        m.rebook_invitation(APPT, RemindersSection().policy(), now=NOW),
    ]


@pytest.mark.parametrize(
    ("case", "zone", "language", "shown"),
    [
        ("Austin patient", "America/Chicago", "en", "Tue 3/10 at 2:30 PM CT"),
        ("El Paso patient of a Central site", "America/Denver", "en", "Tue 3/10 at 1:30 PM MT"),
        ("Seattle patient", "America/Los_Angeles", "en", "Tue 3/10 at 12:30 PM PT"),
        ("El Paso patient, Spanish", "America/Denver", "es", "mar 10/3 a las 1:30 PM MT"),
    ],
)
def test_every_text_renders_in_the_patients_zone(
    case: str, zone: str, language: str, shown: str
) -> None:
    for request in requests():
        assert request.template_id in TEMPLATES, request.template_id
        body = render(
            request.template_id,
            language=language,
            variables=request.variables,
            site=SITE,
            detailed=False,
            zone=zone,
        ).body
        if request.template_id != "appointment_rebook":  # "we missed you": no time to show
            assert shown in body, (case, request.template_id, body)
