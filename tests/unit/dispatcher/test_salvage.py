"""An inbound record that fails validation but carries crisis words still raises the alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.dispatcher.inbound.salvage import repair
from shared import topics
from shared.events import ClinicalAlertRaised, InboundSmsReceived
from tests.unit.dispatcher.conftest import PHONE, Harness

NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
AUSTIN = "+15125550100"


def broken(**fields: object) -> bytes:
    base = {
        "event_type": "InboundSmsReceived",
        "message_sid": "not-a-sid",
        "from_phone": PHONE,
        "to_phone": AUSTIN,
        "body": "i want to kill myself",
        "received_at": "yesterday",
        "num_media": "lots",
    }
    return json.dumps({**base, **fields}).encode()


def test_a_readable_sender_and_text_are_repaired_into_a_text() -> None:
    event = repair(broken(), now=NOW, default_to=AUSTIN)
    assert isinstance(event, InboundSmsReceived)
    assert (event.from_phone, event.received_at, event.source) == (PHONE, NOW, "salvaged")
    assert event.message_sid.startswith("SM") and len(event.message_sid) == 34
    assert repair(broken(), now=NOW, default_to=AUSTIN) == event  # the same id every time


def test_no_crisis_words_nothing_rescued_and_no_sender_only_the_text() -> None:
    assert repair(broken(body="see you tuesday"), now=NOW, default_to=AUSTIN) is None
    assert repair(b"\xff", now=NOW, default_to=AUSTIN) is None
    partial = repair(broken(from_phone="5551212"), now=NOW, default_to=AUSTIN)
    assert isinstance(partial, dict) and partial["body"] == "i want to kill myself"


async def test_a_broken_crisis_text_pages_and_gets_the_crisis_answer(harness: Harness) -> None:
    await harness.enroll()
    for _ in range(2):  # read again after a restart: still one alert
        await harness.broker.publish(broken(), topic=topics.SMS_INBOUND, key=b"k")
    alerts = harness.events(ClinicalAlertRaised)
    assert [(a.patient_id, a.severity) for a in alerts] == [("p-1", "P0")] * 2
    assert len({a.event_id for a in alerts}) == 1
    assert "988" in harness.sms.bodies(PHONE)[-1]
    assert len(harness.sms.bodies(PHONE)) == 1


async def test_a_broken_crisis_text_without_a_sender_still_raises_the_alert(
    harness: Harness,
) -> None:
    await harness.broker.publish(broken(from_phone=None), topic=topics.SMS_INBOUND, key=b"k")
    [alert] = harness.events(ClinicalAlertRaised)
    assert alert.patient_id.startswith("anon-unknown-") and alert.severity == "P0"
    assert harness.sms.sent == []
