"""A session's transitions as events: the next item for the dispatcher, the responses and the
side-effect report for this service's own rules. Every id is derived from the session, so a
re-publication carries the same ids and every consumer drops the copy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.symptoms.ids import IDS
from services.symptoms.rules.checkin_session import (
    SIDE_EFFECTS,
    EffectsReport,
    Outcome,
    Response,
    Session,
    Step,
)
from shared.events import (
    Event,
    ItemAnswer,
    NotificationRequested,
    QuestionnaireCompleted,
    Recipient,
    ReplyContext,
    SideEffect,
    SideEffectReported,
)

TEMPLATE = "checkin_item"


def _envelope(s: Session, *parts: str, at: datetime) -> dict[str, Any]:
    """An event of the session: its id from `parts`, correlated by the session id."""
    return IDS.envelope(
        *parts, now=at, correlation_id=s.session_id, patient_id=s.patient_id, site_id=s.site_id
    )


def prompt(s: Session, step: Step, *, at: datetime) -> NotificationRequested:
    """One item by SMS. The first item of a session is a routine system text (quiet hours,
    caps); later ones answer the patient's last reply and say so with `follow_up`."""
    key = f"{s.session_id}:{step.number}:{step.instrument}:{step.item}"
    variables = {"instrument": step.instrument, "item": step.item, "of": str(step.of)}
    extra = {
        "session_id": s.session_id,
        "instrument": step.instrument,
        "item": step.item,
        "of": str(step.of),
        "step": str(step.number),
        "answer": "checklist" if step.checklist else "scale",
        "max": str(step.max_value),
        "scale": "severity" if step.instrument == SIDE_EFFECTS else "frequency",
        "follow_up": "1" if step.number > 1 else "0",
        "expires_at": s.expires_at.isoformat(),
    }
    return NotificationRequested(
        **_envelope(s, "checkin-request", key, at=at),
        notification_id=IDS.id("checkin", key),
        recipient=Recipient(kind="patient", id=s.patient_id),
        template_id=TEMPLATE,
        variables=variables,
        category="checkin_item",
        priority="routine",
        expires_at=s.expires_at,
        dedup_key=f"checkin:{s.session_id}:{step.number}",
        reply_context=ReplyContext(kind="checkin", ref=s.session_id, extra=extra),
    )


def response(s: Session, r: Response, *, at: datetime) -> QuestionnaireCompleted:
    return QuestionnaireCompleted(
        **_envelope(s, "checkin-response", r.response_id, r.status, at=at),
        response_id=r.response_id,
        instrument=r.instrument,  # type: ignore[arg-type]
        answers=[ItemAnswer(item=i, value=v) for i, v in r.answers],
        channel="sms",
        session_id=s.session_id,
        status=r.status,
    )


def report(s: Session, r: EffectsReport, *, at: datetime) -> SideEffectReported:
    return SideEffectReported(
        **_envelope(s, "checkin-report", r.report_id, at=at),
        report_id=r.report_id,
        effects=[SideEffect(code=c, severity=v) for c, v in r.effects],
        channel="sms",
    )


def outbox(outcome: Outcome, *, at: datetime) -> list[Event]:
    """What a transition publishes: safety-relevant records first, then the next item."""
    s = outcome.session
    events: list[Event] = [response(s, r, at=at) for r in outcome.responses]
    if outcome.report is not None:
        events.append(report(s, outcome.report, at=at))
    if outcome.prompt is not None:
        events.append(prompt(s, outcome.prompt, at=at))
    return events
