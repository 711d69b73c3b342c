"""Builders for the symptoms rule tests: drugs, contexts and reports as plain data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.symptoms.rules import report as side_effect_report
from services.symptoms.rules.model import (
    AlertRecord,
    DoseRecord,
    Drug,
    Finding,
    PatientContext,
    Report,
    RiskMarker,
    ScoreRecord,
    Trigger,
)
from services.symptoms.rules.thresholds import Thresholds

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
T = Thresholds()
PATIENT = "p-1"

CLASSES = {
    "sertraline": "ssri",
    "fluoxetine": "ssri",
    "paroxetine": "ssri",
    "venlafaxine": "snri",
    "phenelzine": "maoi",
    "trazodone": "trazodone",
    "lorazepam": "benzodiazepine",
    "olanzapine": "antipsychotic",
    "haloperidol": "antipsychotic",
    "aripiprazole": "antipsychotic",
    "clozapine": "antipsychotic",
    "lithium": "lithium",
    "lamotrigine": "anticonvulsant",
    "divalproex": "anticonvulsant",
    "tramadol": "other",
}


def drug(
    name: str,
    *,
    days_on: int = 30,
    changed_days: int | None = None,
    stopped_days: int | None = None,
    plan_id: str | None = None,
) -> Drug:
    """A plan of `name` started `days_on` days before NOW (America/Chicago)."""
    today = NOW.date()
    return Drug(
        plan_id=plan_id or f"plan-{name}",
        drug=name,
        drug_class=CLASSES[name],
        start=today - timedelta(days=days_on),
        dose_changed=today - timedelta(days=changed_days) if changed_days is not None else None,
        stopped=today - timedelta(days=stopped_days) if stopped_days is not None else None,
    )


def ctx(
    *,
    drugs: Iterable[Drug] = (),
    age: int | None = 40,
    doses: Iterable[DoseRecord] = (),
    scores: Iterable[ScoreRecord] = (),
    risks: Iterable[RiskMarker] = (),
    alerts: Iterable[AlertRecord] = (),
    triggers: Iterable[Trigger] = (),
    now: datetime = NOW,
) -> PatientContext:
    dob = date(now.year - age, 1, 1) if age is not None else None
    return PatientContext(
        patient_id=PATIENT,
        now=now,
        date_of_birth=dob,
        drugs=tuple(drugs),
        doses=tuple(doses),
        scores=tuple(scores),
        risks=tuple(risks),
        alerts=tuple(alerts),
        triggers=tuple(triggers),
    )


def report(
    effects: Mapping[str, int] | Iterable[str],
    *,
    free_text: str | None = None,
    stopped: bool = False,
    plan_id: str | None = None,
    ref: str = "se-1",
) -> Report:
    fx = dict(effects) if isinstance(effects, Mapping) else dict.fromkeys(effects, 2)
    return Report(
        ref=ref, effects=fx, free_text=free_text, stopped_medication=stopped, plan_id=plan_id
    )


def missed(plan: str, *days_ago: float, status: str = "missed") -> list[DoseRecord]:
    return [
        DoseRecord(f"{plan}:{d}", plan, NOW - timedelta(days=d), status)  # type: ignore[arg-type]
        for d in days_ago
    ]


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def by_rule(findings: Iterable[Finding]) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    for f in findings:
        assert f.rule_id not in out, f"two findings for {f.rule_id}"
        out[f.rule_id] = f
    return out


def details(finding: Finding) -> str:
    return " | ".join(e.detail for e in finding.evidence)


@dataclass
class Case:
    """One side-effect report, the patient's drugs and age, and what one rule must do."""

    name: str
    rule: str
    severity: str | None  # None: the rule must not fire
    report: Report
    drugs: list[Drug] = field(default_factory=list)
    age: int | None = 40
    doses: list[DoseRecord] = field(default_factory=list)


def case_findings(case: Case) -> dict[str, Finding]:
    c = ctx(drugs=case.drugs, age=case.age, doses=case.doses)
    return by_rule(side_effect_report.evaluate(case.report, c, T))


def check_case(case: Case) -> None:
    """The rule fires at the expected priority (crisis text at P0 and for SI), or not at all."""
    found = case_findings(case)
    if case.severity is None:
        assert case.rule not in found
        return
    finding = found[case.rule]
    assert finding.severity == case.severity
    assert finding.crisis_text is (case.severity == "P0" or case.rule == "SE-SUICIDAL")
    assert finding.scope == case.report.ref
    assert finding.suggested_action


SSRI, LTG, LI = drug("sertraline"), drug("lamotrigine", days_on=18), drug("lithium")
CLOZ_NEW, CLOZ_OLD = drug("clozapine", days_on=20), drug("clozapine", days_on=200)
OLZ, LZP = drug("olanzapine"), drug("lorazepam")
