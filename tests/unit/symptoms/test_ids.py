"""The ids the symptoms service derives never change: an alert, crisis text or check-in item
re-published after a deploy must carry the id it had before, or consumers would act on it twice.
The literal UUIDs below were computed before the ids moved to shared.ids.IdSpace."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.symptoms.alerts import alert_event, crisis_event
from services.symptoms.checkin_messages import prompt, report, response
from services.symptoms.rules.checkin_session import EffectsReport, Response, Session, Step
from services.symptoms.rules.model import Finding
from shared import events as ev
from shared.testing.factories import sample

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_alert_and_crisis_ids() -> None:
    cause = sample(ev.QuestionnaireCompleted, patient_id="p-1", response_id="qr-1", occurred_at=AT)
    finding = Finding(
        rule_id="SYM-PHQ9-ITEM9",
        severity="P1",
        scope="qr-1",
        evidence=(),
        suggested_action="call",
        crisis_text=True,
    )
    alert = alert_event(finding, patient_id="p-1", cause=cause, at=AT)
    assert alert.source == "symptoms"
    assert alert.event_id == UUID("a99a1161-3218-5218-925e-9e689c649325")
    assert alert.alert_id == "80c87e9f-fbf5-5a34-b69e-14ff571126fa"
    text = crisis_event(alert, at=AT)
    assert text.event_id == UUID("84456583-ccc1-5618-a4d8-fb1783aeeb3a")
    assert text.notification_id == UUID("5f1e240c-cc8f-5f62-a5d9-a390044688c6")


def test_checkin_ids() -> None:
    step = Step("PHQ-2", "1", 1, 2)
    s = Session(
        session_id="ci-abc", patient_id="p-1", kind="PHQ-2", opened_at=AT, expires_at=AT, step=step
    )
    item = prompt(s, step, at=AT)
    assert item.event_id == UUID("5d3a8050-4e47-5996-8f47-59367290c73f")
    assert item.notification_id == UUID("64976f85-0765-5575-8a62-40d88e6efad2")
    done = response(s, Response("ci-abc-phq-2", "PHQ-2", (("1", 2), ("2", 2)), "completed"), at=AT)
    assert done.event_id == UUID("d34b0b22-44c7-5fe4-9464-3233b3bf1844")
    effects = report(s, EffectsReport("ci-abc", (("insomnia", 2),)), at=AT)
    assert effects.event_id == UUID("ba218af1-e71b-5393-b3c0-ad608a34934a")
