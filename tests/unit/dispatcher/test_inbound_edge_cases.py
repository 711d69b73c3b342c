"""Inbound texts the gateway now lets through: a picture without words, a WhatsApp sender, a
reply to a short code, and one-way senders (short codes, alphanumeric sender ids)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from services.dispatcher.settings import DispatcherSettings
from shared import topics
from shared.events import (
    ClinicalAlertRaised,
    DoseSkipped,
    DoseTaken,
    InboundSmsReceived,
    NotificationSuppressed,
)
from shared.sites import demo_sites
from tests.unit.dispatcher.conftest import AUSTIN_NUMBER, PHONE, Harness, make_settings, request

SHORT_CODE = "24680"
PLAINS = {
    "name": "Lubbock",
    "display_name": "Plains Health",
    "help_phone": "806-555-0100",
    "zone": "America/Chicago",
    "from_number": SHORT_CODE,  # texts go out from the short code, replies come back to it
}
HOUSTON_SHORT_CODE = "824680"


@pytest.fixture
def settings() -> DispatcherSettings:
    sites: dict[str, Any] = {k: s.model_dump() for k, s in demo_sites().items()}
    sites["houston"]["inbound_numbers"] = [HOUSTON_SHORT_CODE]
    sites["lubbock"] = PLAINS
    base = make_settings()
    return DispatcherSettings(
        sites=sites,
        kafka=base.kafka.model_dump(),
        redis=base.redis.model_dump(),
        dispatcher=base.dispatcher.model_dump(),
    )


async def picture(
    harness: Harness, *, body: str = "", from_phone: str = PHONE, sid: str | None = None
) -> InboundSmsReceived:
    event = InboundSmsReceived(
        message_sid=sid or "MM" + uuid4().hex,
        from_phone=from_phone,
        to_phone=AUSTIN_NUMBER,
        body=body,
        num_media=1,
        received_at=harness.clock.now(),
    )
    await harness.publish(event)
    return event


# ------------------------------------------------------------------ a picture without words


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "pictures and other files sent by text cannot be read"), ("es", "no podemos leer")],
)
async def test_a_picture_without_text_is_answered_once_in_the_patients_language(
    harness: Harness, language: str, words: str
) -> None:
    await harness.enroll(language=language)
    mms = await picture(harness)
    await harness.publish(mms)  # the same MessageSid redelivered
    [body] = harness.sms.bodies(PHONE)
    assert body.startswith("Northside Clinic: ") and words in body and "512-555-0100" in body
    assert harness.sms.sent[0]["from"] == AUSTIN_NUMBER


async def test_a_picture_without_text_answers_no_prompt_and_raises_no_alert(
    harness: Harness,
) -> None:
    await harness.enroll()
    await harness.publish(request())  # "Reply 1 if taken, 2 if not"
    await picture(harness)
    assert harness.events(DoseTaken) == [] and harness.events(DoseSkipped) == []
    assert harness.events(ClinicalAlertRaised) == []  # not an unread reply either
    await harness.text("1")  # the dose prompt is still open
    assert [e.patient_id for e in harness.events(DoseTaken)] == ["p-1"]


async def test_a_picture_with_words_is_read_by_its_words(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await picture(harness, body="1")
    assert [e.patient_id for e in harness.events(DoseTaken)] == ["p-1"]
    assert not any("cannot be read" in b for b in harness.sms.bodies(PHONE))


async def test_an_opted_out_number_is_not_answered_for_a_picture(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("STOP")
    await picture(harness)
    assert len(harness.sms.bodies(PHONE)) == 1  # the opt-out confirmation only
    assert harness.events(NotificationSuppressed)[-1].reason == "opted_out"


async def test_pictures_in_a_row_get_one_answer(harness: Harness) -> None:
    await harness.enroll()
    for _ in range(3):
        await picture(harness)
    assert len(harness.sms.bodies(PHONE)) == 1


async def test_a_picture_at_night_is_answered_at_once(harness: Harness) -> None:
    await harness.enroll()
    harness.clock.advance(11 * 3600)  # 22:00 in Austin, outside the allowed hours
    await picture(harness)
    assert len(harness.sms.bodies(PHONE)) == 1


# ------------------------------------------------------------------ addresses


async def test_a_whatsapp_sender_is_the_patient_with_that_number(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await harness.text("1", from_phone="whatsapp:" + PHONE, to_phone="whatsapp:" + AUSTIN_NUMBER)
    [taken] = harness.events(DoseTaken)
    assert taken.patient_id == "p-1" and taken.site_id == "austin"


async def test_a_reply_to_a_short_code_sender_is_applied(harness: Harness) -> None:
    await harness.enroll(site_id="lubbock")
    await harness.publish(request(site_id="lubbock"))
    [reminder] = harness.sms.sent
    assert reminder["from"] == SHORT_CODE
    await harness.text("1", to_phone=SHORT_CODE)
    [taken] = harness.events(DoseTaken)
    assert (taken.patient_id, taken.site_id) == ("p-1", "lubbock")


async def test_a_short_code_among_inbound_numbers_names_its_site(harness: Harness) -> None:
    await harness.text("HELP", from_phone="+17135550143", to_phone=HOUSTON_SHORT_CODE)
    [sms] = harness.sms.sent
    assert sms["body"].startswith("Bayou Health reminders") and "713-555-0100" in sms["body"]
    assert sms["from"] == "+17135550100"


@pytest.mark.parametrize("sender", ["24680", "CarrierInfo"])
async def test_a_one_way_sender_gets_no_answer_and_no_contact(
    harness: Harness, sender: str
) -> None:
    for body in ("HELP", "STOP", "Your data plan renews today", ""):
        await harness.text(body, from_phone=sender)
    assert harness.sms.sent == []
    assert harness.published.get(topics.NOTIFY_URGENT, []) == []
    assert await harness.redis.keys("*contact:*") == []
