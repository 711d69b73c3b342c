"""Questionnaires through the handlers (TestKafkaBroker, fake Redis): pages, texts, dedupe."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from shared import events as ev
from shared.broker import EventBus
from shared.events import NotificationRequested
from shared.testing.factories import sample
from tests.unit.symptoms.handler_support import PATIENT, Harness, phq9, plan, side_effects
from tests.unit.symptoms.support import NOW


async def test_item9_answered_then_completed_pages_once(harness: Harness) -> None:
    await harness.send(
        sample(
            ev.QuestionnaireItemAnswered,
            patient_id=PATIENT,
            session_id="s-1",
            instrument="PHQ-9",
            item="9",
            value=2,
            occurred_at=NOW,
        )
    )
    assert harness.rules() == [("SYM-PHQ9-ITEM9", "P1")]
    assert len(harness.urgent) == 1
    await harness.send(phq9([1, 2, 0, 1, 0, 0, 0, 0, 2], session_id="s-1"))
    assert harness.rules() == [("SYM-PHQ9-ITEM9", "P1")]
    assert len(harness.urgent) == 1
    note, alert = harness.urgent[0], harness.alerts[0]
    assert (note.template_id, note.category, note.priority) == (
        "crisis_resources",
        "crisis_resources",
        "urgent",
    )
    assert note.recipient == ev.Recipient(kind="patient", id=PATIENT)
    assert note.dedup_key == f"crisis:{alert.dedup_key}"
    assert alert.dedup_key == f"{PATIENT}:SYM-PHQ9-ITEM9:s-1:P1"
    assert note.expires_at == NOW + timedelta(hours=24)  # the answer's time + validity


async def test_the_same_questionnaire_twice_yields_one_alert_and_one_text(harness: Harness) -> None:
    event = phq9([0, 0, 0, 0, 0, 0, 0, 0, 2])
    await harness.send(event)
    await harness.send(event)
    await harness.send(phq9([0, 0, 0, 0, 0, 0, 0, 0, 2]))  # same response, new event id
    assert harness.rules() == [("SYM-PHQ9-ITEM9", "P1")]
    assert len(harness.urgent) == 1


async def test_a_crash_before_the_text_republishes_the_same_ids(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    original, failures = EventBus.publish, list[NotificationRequested]()

    async def flaky(self: EventBus, event: ev.Event, *, topic: str | None = None) -> None:
        if isinstance(event, NotificationRequested) and not failures:
            failures.append(event)
            raise RuntimeError("broker hiccup")
        await original(self, event, topic=topic)

    monkeypatch.setattr(EventBus, "publish", flaky)
    await harness.send(phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert failures
    assert len({a.alert_id for a in harness.alerts}) == 1  # the retry re-sent the same alert
    assert [n.notification_id for n in harness.urgent] == [failures[0].notification_id]


async def test_cssrs_q4_yes_is_p0_with_the_crisis_text(harness: Harness) -> None:
    answers = {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}
    await harness.send(
        sample(
            ev.QuestionnaireCompleted,
            patient_id=PATIENT,
            response_id="qr-c",
            instrument="C-SSRS",
            occurred_at=NOW,
            answers=[{"item": k, "value": v} for k, v in answers.items()],
        )
    )
    assert harness.rules() == [("SYM-CSSRS-TRIAGE", "P0")]
    assert len(harness.urgent) == 1


async def test_an_abandoned_response_still_fires_item9_without_a_total(harness: Harness) -> None:
    await harness.send(
        sample(
            ev.QuestionnaireCompleted,
            patient_id=PATIENT,
            response_id="qr-a",
            instrument="PHQ-9",
            status="in_progress",
            occurred_at=NOW,
            answers=[{"item": "1", "value": 3}, {"item": "9", "value": 1}],
        )
    )
    assert harness.rules() == [("SYM-PHQ9-ITEM9", "P1")]
    assert "total" not in " ".join(e.detail for e in harness.alerts[0].evidence)


async def test_crisis_language_pages_and_stays_out_of_the_logs(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.send(plan("lamotrigine", "anticonvulsant", days_on=18))
    with caplog.at_level(logging.INFO):
        await harness.send(side_effects(free_text="STOP I want to die"))
    assert harness.rules() == [("SE-ANY-EMERGENCY", "P0")]
    assert len(harness.urgent) == 1
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "alert_id" in logged
    assert "die" not in logged.lower() and "lamotrigine" not in logged
