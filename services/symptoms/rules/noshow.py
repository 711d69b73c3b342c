"""APPT-NOSHOW-RISK: a no-show is a risk signal after a recent high-risk flag."""

from __future__ import annotations

from services.symptoms.rules.model import Finding, PatientContext, Severity, evidence, rank
from services.symptoms.rules.thresholds import Thresholds
from shared.catalogue import RuleInfo

RULE = RuleInfo(
    "APPT-NOSHOW-RISK",
    "a no-show by a patient with a P0/P1 alert or a high-risk score (PHQ-9 item 9 >= 1, PHQ-9 "
    "total >= {phq9_severe_min}, any positive C-SSRS) in the last {noshow_lookback_days} d; "
    "or with a P2 alert (when noshow_on_p2)",
    "P1; P2 after a P2 alert only",
    "issue 7; [D] ('P2/P1 if recent high-risk flag')",
)
RULES = (RULE,)
HIGH_RISK_KINDS = frozenset(
    {"phq9_item9", "phq9_severe", "cssrs_low", "cssrs_moderate", "cssrs_high"}
)


def evaluate(appointment_id: str, ctx: PatientContext, t: Thresholds) -> Finding | None:
    """P1 after a recent P0/P1 alert or high-risk score; P2 after a P2 alert; else nothing."""
    since = ctx.since(t.noshow_lookback_days)
    alerts = sorted(
        (a for a in ctx.alerts if a.at >= since and a.rule_id != RULE.rule_id),
        key=lambda a: (rank(a.severity), -a.at.timestamp()),
    )
    risks = sorted(
        (r for r in ctx.risks if r.at >= since and r.kind in HIGH_RISK_KINDS),
        key=lambda r: r.at,
        reverse=True,
    )
    urgent = [a for a in alerts if rank(a.severity) <= rank("P1")]
    severity: Severity
    if urgent or risks:
        severity = "P1"
    elif t.noshow_on_p2 and any(a.severity == "P2" for a in alerts):
        severity = "P2"
    else:
        return None
    cites = [evidence("appointment", appointment_id, "no-show")]
    cites += [
        evidence("other", a.alert_id, f"{a.rule_id} {a.severity} on {a.at.date()}")
        for a in alerts
        if rank(a.severity) <= rank(severity)
    ][:10]
    cites += [
        evidence("questionnaire", r.ref, f"high-risk score: {r.kind} {r.detail}".strip())
        for r in risks
    ][:10]
    action = (
        "Contact the patient today: missed visit after a recent high-risk flag."
        if severity == "P1"
        else "Contact the patient by the next business day to rebook: missed visit after a "
        "recent P2 alert."
    )
    return Finding(RULE.rule_id, severity, appointment_id, tuple(cites), action)
