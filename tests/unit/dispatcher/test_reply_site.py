"""A reply event carries the replier's site, so an alert raised on it reaches that site's on-call
(found by `make demo`: item 9 answered by SMS paged nobody, the alert had no site)."""

from __future__ import annotations

from shared.events import DoseTaken, QuestionnaireItemAnswered
from tests.unit.dispatcher.conftest import Harness, request


async def test_a_dose_reply_carries_the_patients_site(harness: Harness) -> None:
    await harness.enroll("p-1", site_id="seattle", zone="America/Los_Angeles")
    await harness.publish(request(site_id=None))
    await harness.text("1")
    [taken] = harness.events(DoseTaken)
    assert taken.site_id == "seattle"


async def test_a_check_in_answer_carries_the_patients_site(harness: Harness) -> None:
    await harness.enroll("p-1", site_id="el-paso", zone="America/Denver")
    item = {"instrument": "PHQ-9", "item": "9", "of": "9"}
    extra = {**item, "session_id": "ci-1", "step": "9", "answer": "scale", "max": "3"}
    await harness.publish(
        request(
            site_id=None,
            template_id="checkin_item",
            category="checkin_item",
            variables=item,
            patient_chosen_time=False,
            dedup_key="checkin:ci-1:9",
            reply_context={"kind": "checkin", "ref": "ci-1", "extra": extra},
        )
    )
    await harness.text("1")
    [answer] = harness.events(QuestionnaireItemAnswered)
    assert (answer.item, answer.value, answer.site_id) == ("9", 1, "el-paso")
