"""Smoke: a request becomes one SMS; a reply becomes DoseTaken."""

from __future__ import annotations

from shared.events import DoseTaken, NotificationSent
from tests.unit.dispatcher.conftest import PHONE, Harness, request


async def test_request_to_sms_to_reply(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    await harness.publish(req)
    assert len(harness.sms.sent) == 1
    assert harness.sms.sent[0]["to"] == PHONE
    print(harness.sms.sent[0]["body"])
    sent = harness.events(NotificationSent)
    assert [e.notification_id for e in sent] == [req.notification_id]
    await harness.text("1")
    taken = harness.events(DoseTaken)
    assert len(taken) == 1 and taken[0].patient_id == "p-1"
