"""Check-in items and answers on the in-memory broker: the item read in context, one re-ask,
keywords and crisis language first, follow-up items neither capped nor held for quiet hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from shared.events import (
    ClinicalAlertRaised,
    ConsentChanged,
    NotificationRequested,
    NotificationSuppressed,
    QuestionnaireItemAnswered,
)
from tests.unit.dispatcher.conftest import NOON, Harness, request

SESSION = "ci-test-1"


def item(
    instrument: str = "PHQ-9", number: str = "3", *, step: int = 3, of: str = "9", **kw: Any
) -> NotificationRequested:
    """A check-in item as the symptoms service asks it."""
    checklist = instrument == "side_effects" and number == "0"
    extra = {
        "session_id": SESSION,
        "instrument": instrument,
        "item": number,
        "of": of,
        "step": str(step),
        "answer": "checklist" if checklist else "scale",
        "max": "7" if checklist else "3",
        "scale": "severity" if instrument == "side_effects" else "frequency",
        "follow_up": "1" if step > 1 else "0",
        "expires_at": (NOON + timedelta(hours=24)).isoformat(),
    }
    fields: dict[str, Any] = {
        "notification_id": uuid4(),
        "template_id": "checkin_item",
        "category": "checkin_item",
        "variables": {"instrument": instrument, "item": number, "of": of},
        "patient_chosen_time": False,
        "dedup_key": f"checkin:{SESSION}:{step}",
        "reply_context": {"kind": "checkin", "ref": SESSION, "extra": extra},
    }
    return request(**{**fields, **kw})


def answers(h: Harness) -> list[tuple[str, str, int, list[int]]]:
    return [
        (a.instrument, a.item, a.value, list(a.values)) for a in h.events(QuestionnaireItemAnswered)
    ]


async def test_an_item_is_texted_and_its_answer_published(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(item("PHQ-2", "1", step=1, of="2"))
    [body] = harness.sms.bodies()
    assert body.startswith("Northside Clinic: Q1/2 In the past 2 weeks: Little interest")
    assert "STOP" in body and "PHQ" not in body
    await harness.text(" 2 ")
    [answer] = harness.events(QuestionnaireItemAnswered)
    assert (answer.patient_id, answer.session_id, answer.instrument, answer.item, answer.value) == (
        "p-1",
        SESSION,
        "PHQ-2",
        "1",
        2,
    )
    assert answer.message_sid is not None


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("two", 2), ("dos", 2), ("0", 0)])
async def test_answer_words_and_digits(harness: Harness, text: str, value: int) -> None:
    await harness.enroll()
    await harness.publish(item())
    await harness.text(text)
    assert answers(harness) == [("PHQ-9", "3", value, [])]


async def test_an_unclear_answer_is_asked_again_once(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(item())
    await harness.text("22")
    assert answers(harness) == []
    again = harness.sms.bodies()[-1]
    assert again.startswith("Northside Clinic: Please answer with one number. Q3/9")
    await harness.text("4")  # unclear again: no third text
    await harness.text("maybe")
    assert len(harness.sms.bodies()) == 2
    await harness.text("3")  # a clear answer after the re-ask still counts
    assert answers(harness) == [("PHQ-9", "3", 3, [])]


async def test_the_side_effect_checklist_is_multi_select(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(item("side_effects", "0", step=1, of="0"))
    assert "6 rash" in harness.sms.bodies()[-1]
    await harness.text("1,6")
    assert answers(harness) == [("side_effects", "0", 1, [1, 6])]
    await harness.publish(item("side_effects", "6", step=2, of="0"))
    assert "the rash" in harness.sms.bodies()[-1]
    await harness.text("moderate")
    assert answers(harness)[-1] == ("side_effects", "6", 2, [])


async def test_stop_in_a_session_opts_out_and_is_no_answer(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(item())
    await harness.text("STOP")
    [consent] = harness.events(ConsentChanged)
    assert (consent.status, consent.scope) == ("revoked", "all")
    assert answers(harness) == []
    assert "unsubscribed" in harness.sms.bodies()[-1]
    await harness.publish(item(number="4", step=4))  # an item already on its way
    assert harness.events(NotificationSuppressed)[-1].reason == "opted_out"


async def test_help_in_a_session_is_answered_and_the_item_still_stands(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(item())
    await harness.text("HELP")
    assert "reminders" in harness.sms.bodies()[-1]
    assert answers(harness) == []
    await harness.text("1")
    assert answers(harness) == [("PHQ-9", "3", 1, [])]


async def test_crisis_language_in_a_session_pages_and_is_not_asked_again(
    harness: Harness,
) -> None:
    await harness.enroll()
    await harness.publish(item("PHQ-9", "9", step=9))
    await harness.text("I want to die")
    [alert] = harness.events(ClinicalAlertRaised)
    assert (alert.patient_id, alert.severity) == ("p-1", "P0")
    bodies = harness.sms.bodies()
    assert "988" in bodies[-1] and len(bodies) == 2  # the crisis text, and no re-ask
    assert answers(harness) == []


@pytest.mark.parametrize("settings", [{"cap_per_day": 2}], indirect=True)
async def test_follow_up_items_are_not_capped_but_the_first_is(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())  # a dose reminder: 1 of 2 today
    await harness.publish(item("PHQ-2", "1", step=1, of="2"))  # 2 of 2
    await harness.text("2")
    await harness.publish(item("PHQ-2", "2", step=2, of="2"))
    await harness.text("2")
    for n in range(3, 10):
        await harness.publish(item("PHQ-9", str(n), step=n))
        await harness.text("1")
    assert len(harness.sms.bodies()) == 2 + 8
    assert len(answers(harness)) == 9
    await harness.publish(item("GAD-7", "1", step=1, of="7", dedup_key="checkin:ci-2:1"))
    assert harness.events(NotificationSuppressed)[-1].reason == "cap_reached"


async def test_a_follow_up_is_sent_after_hours_but_a_first_item_waits(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(item("PHQ-2", "1", step=1, of="2"))
    await harness.text("2")
    # 20:30 in Austin: outside the allowed hours.
    harness.clock.set(NOON + timedelta(hours=9, minutes=30))
    await harness.publish(item("PHQ-2", "2", step=2, of="2"))
    assert harness.sms.bodies()[-1].startswith("Northside Clinic: Q2/2")
    sent = len(harness.sms.bodies())
    # A follow-up that claims to be one but is of another session is a first item: it waits.
    stranger = item("PHQ-2", "2", step=2, of="2", dedup_key="checkin:other:2")
    stranger = stranger.model_copy(
        update={"reply_context": stranger.reply_context.model_copy(update={"ref": "other"})}
    )
    await harness.publish(stranger)
    assert len(harness.sms.bodies()) == sent
    assert harness.events(NotificationSuppressed)[-1].reason == "quiet_hours_deferred"


async def test_an_answer_after_the_session_expired_is_still_published(harness: Harness) -> None:
    # The symptoms service decides what a late answer means (item 9 is read regardless).
    await harness.enroll()
    await harness.publish(item("PHQ-9", "9", step=9))
    harness.clock.advance(timedelta(hours=30))
    await harness.text("1")
    assert answers(harness) == [("PHQ-9", "9", 1, [])]
    await harness.text("22")  # but an unclear one after expiry is not asked again
    assert len(harness.sms.bodies()) == 1
