"""SYM-ADH-CROSS: missed doses together with a worsening score or an activation/discontinuation
symptom raise one alert that cites both (issue 7; see ADH-SSRI-DISC, ADH-BZD-STOP)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from services.symptoms.rules.model import (
    DoseRecord,
    Drug,
    Finding,
    PatientContext,
    Report,
    Severity,
    Trigger,
    evidence,
)
from services.symptoms.rules.table import ACTIVATION, FINISH
from services.symptoms.rules.thresholds import Thresholds
from shared.catalogue import RuleInfo

RULE = RuleInfo(
    "SYM-ADH-CROSS",
    ">= {cross_missed_min} missed or skipped doses within {cross_window_days} d of a worsening "
    "score (SYM-*-WORSEN), an activation or discontinuation symptom, or severe anxiety on a "
    "benzodiazepine; checked on the symptom event and on each later missed dose; one alert per "
    "symptom event, citing the doses and the symptom",
    "{cross_severity}; P1 for severe anxiety with missed benzodiazepine doses",
    "issue 7; ADH-SSRI-DISC / ADH-BZD-STOP, SYM-GAD7-SEVERE benzodiazepine note [D]",
)
RULES = (RULE,)
WORSENING_RULES = frozenset({"SYM-PHQ9-WORSEN", "SYM-GAD7-WORSEN", "SYM-PCL5-WORSEN"})
MAX_DOSES_CITED = 10


def from_findings(
    findings: Iterable[Finding], *, scope: str, at: datetime, drugs: Sequence[Drug]
) -> list[Trigger]:
    """Worsening scores (and severe anxiety on a benzodiazepine) of one questionnaire."""
    out = []
    on_benzo = any(d.drug_class == "benzodiazepine" and d.stopped is None for d in drugs)
    for f in findings:
        if f.rule_id in WORSENING_RULES:
            out.append(Trigger(scope, at, "worsening", f.evidence))
        elif f.rule_id == "SYM-GAD7-SEVERE" and on_benzo:
            out.append(Trigger(scope, at, "anxiety_benzo", f.evidence))
    return out


def from_report(report: Report, *, at: datetime) -> list[Trigger]:
    """Activation and discontinuation symptoms of one side-effect report."""
    out = []
    for kind, cond in (("activation", ACTIVATION), ("discontinuation", FINISH)):
        hit = cond.match(report.effects)
        if hit:
            cites = tuple(
                evidence(
                    "side_effect", report.ref, f"{kind} symptom: {c} (severity {report.effects[c]})"
                )
                for c in sorted(hit)
            )
            out.append(Trigger(report.ref, at, kind, cites))  # type: ignore[arg-type]
    return out


def _missed(
    doses: Iterable[DoseRecord], since: datetime, until: datetime, plans: set[str] | None
) -> list[DoseRecord]:
    rows = [
        d
        for d in doses
        if d.status != "taken" and since <= d.at <= until and (plans is None or d.plan_id in plans)
    ]
    return sorted(rows, key=lambda d: d.at, reverse=True)


def evaluate(ctx: PatientContext, t: Thresholds) -> list[Finding]:
    """One finding per symptom event (trigger scope) that has enough missed doses around it."""
    window = timedelta(days=t.cross_window_days)
    by_scope: dict[str, list[Trigger]] = {}
    for trig in ctx.triggers:
        if ctx.now - trig.at <= window:
            by_scope.setdefault(trig.scope, []).append(trig)
    classes = {d.plan_id: d.drug_class for d in ctx.drugs}
    benzo_plans = {p for p, c in classes.items() if c == "benzodiazepine"}
    found = []
    for scope, triggers in by_scope.items():
        start = min(tr.at for tr in triggers) - window
        missed = _missed(ctx.doses, start, ctx.now, None)
        if len(missed) < t.cross_missed_min:
            continue
        severity: Severity = t.cross_severity
        benzo_missed = _missed(ctx.doses, start, ctx.now, benzo_plans)
        if any(tr.kind == "anxiety_benzo" for tr in triggers) and (
            len(benzo_missed) >= t.cross_missed_min
        ):
            severity, missed = "P1", benzo_missed
        cites = [e for tr in triggers for e in tr.evidence]
        cites += [
            evidence(
                "dose",
                d.dose_id,
                f"{d.status} dose, plan {d.plan_id} ({classes.get(d.plan_id, 'unknown class')})",
            )
            for d in missed[:MAX_DOSES_CITED]
        ]
        cites.append(
            evidence(
                "other",
                scope,
                f"{len(missed)} missed or skipped doses within "
                f"{t.cross_window_days} d of the symptom",
            )
        )
        found.append(
            Finding(
                RULE.rule_id,
                severity,
                scope,
                tuple(cites[:50]),
                "Review adherence with the patient: symptoms may follow missed doses "
                "(discontinuation, relapse or withdrawal).",
            )
        )
    return found
