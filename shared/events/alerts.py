"""Events on mtm.alerts: the life of a clinical alert, step by step (the audit trail)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Event, Id, Model

Severity = Literal["P0", "P1", "P2", "P3"]


class Evidence(Model):
    """What made a rule fire: a reference and a short, PHI-free detail."""

    kind: Literal[
        "questionnaire", "item", "side_effect", "dose", "fill", "appointment", "sms", "other"
    ]
    ref: str = Field(max_length=128, description="Id of the record (response, dose, report).")
    detail: str = Field(default="", max_length=256, description="e.g. 'item 9 = 2'.")


class ClinicalAlertRaised(Event):
    """A clinical rule fired for a patient."""

    event_type: Literal["ClinicalAlertRaised"] = "ClinicalAlertRaised"
    patient_id: Id
    alert_id: Id
    severity: Severity
    rule_id: str = Field(
        pattern=r"^[A-Z]{2,4}-[A-Z0-9-]{2,40}$", description="Rule id (docs/clinical-rules.md)."
    )
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    suggested_action: str = Field(default="", max_length=256)
    dedup_key: str = Field(max_length=256, description="Same key while open = same alert.")


class AlertPaged(Event):
    """A clinician was paged for an alert."""

    event_type: Literal["AlertPaged"] = "AlertPaged"
    alert_id: Id
    code: str = Field(pattern=r"^\d{3,8}$", description="Short code the clinician replies with.")
    clinician_id: Id
    step: int = Field(ge=0)
    notification_id: Id
    delivery: Literal["requested", "delivered", "failed"] = Field(
        default="requested",
        description="requested: the page was handed to the dispatcher; delivered/failed: what "
        "the carrier later reported for it (same notification_id).",
    )
    role: str | None = Field(
        default=None, max_length=32, description="primary, backup, director, network_*, repeat."
    )
    severity: Severity | None = Field(default=None, description="The alert's severity when paged.")


class AlertEscalated(Event):
    """An alert moved to the next step of its ladder."""

    event_type: Literal["AlertEscalated"] = "AlertEscalated"
    alert_id: Id
    from_step: int = Field(ge=0)
    to_step: int = Field(ge=0)
    # unresolved: acknowledged, but no outcome recorded in time (ESC-UNRESOLVED).
    reason: Literal[
        "no_ack", "undelivered", "no_one_on_call", "severity_raised", "unresolved", "unreachable"
    ] = Field(
        description="unreachable: every rung's page failed, the fallback roster is paged next."
    )


class AlertAcknowledged(Event):
    """A clinician acknowledged an alert (the dispatcher reads 'ACK <code>')."""

    event_type: Literal["AlertAcknowledged"] = "AlertAcknowledged"
    alert_id: Id | None = None
    code: str = Field(pattern=r"^\d{3,8}$")
    clinician_id: Id
    message_sid: str | None = Field(default=None, max_length=64)


class AlertResolved(Event):
    """An alert was closed, with the outcome."""

    event_type: Literal["AlertResolved"] = "AlertResolved"
    alert_id: Id | None = None
    code: str = Field(pattern=r"^\d{3,8}$")
    clinician_id: Id
    outcome: str = Field(default="resolved", max_length=128)


class OperationalWarning(Event):
    """Something an operator must fix (nobody on call, roster gap); no PHI."""

    event_type: Literal["OperationalWarning"] = "OperationalWarning"
    warning: Literal[
        "no_one_on_call",
        "roster_gap",
        "sender_missing",
        "dlq_growth",
        "alert_unresolved",
        "safety_lane_dead_letter",
        "no_reachable_on_call",
        "ladder_exhausted",
        "page_cap_reached",
        "clinician_stop_request",
        "on_call_unreachable",
        "twilio_configuration",
    ] = Field(
        description="safety_lane_dead_letter: a record of mtm.symptoms or mtm.sms.inbound was "
        "dead-lettered (a patient at risk may hide in it); no_reachable_on_call: every rung of a "
        "site's ladder failed to deliver, the fallback was paged; ladder_exhausted: a page alert "
        "went through every rung and repeat unacknowledged; page_cap_reached: a page was held "
        "back by the per-alert or per-clinician hourly cap; clinician_stop_request: an on-call "
        "clinician texted an opt-out word; on_call_unreachable: the next 24 h of a site's roster "
        "name someone who cannot be paged; twilio_configuration: Twilio refused the "
        "dispatcher's credentials, account or a site's sender (20003, 20404, 21606, 21408: sends "
        "are held and retried until it is fixed; 21612: a sender/recipient pair it cannot "
        "route), one warning per fault an hour."
    )
    detail: str = Field(default="", max_length=256)
    clinician_id: Id | None = Field(default=None, description="The clinician it is about, if any.")
    alert_id: Id | None = Field(default=None, description="The alert it is about, if any.")
