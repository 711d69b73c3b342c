"""Adherence alert rules (ADH-*) as a table: id, priority, drug context, condition, action.

A rule's check returns a Finding or None. A Finding names its episode where the episode is
defined by the data (the first dose of a run, the dose a gap started after); a rule whose
condition is a ratio leaves it None and the caller keeps the episode open while the condition
holds. None closes the rule's episode, so the same rule can fire again only in a new episode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.adherence.rules.checks import (
    Hit,
    antipsychotic,
    bzd_stop,
    clozapine_gap,
    consec_miss,
    data_gap,
    lamotrigine_gap,
    lithium,
    new_start,
    no_refill,
    ssri_disc,
    stopped_by_patient,
)
from services.adherence.rules.model import Plan
from services.adherence.rules.patterns import EvidenceItem, PatientFacts, PlanFacts
from services.adherence.rules.thresholds import Thresholds
from shared.lexicon.drugs import ANTIDEPRESSANT_CLASSES, PSYCHOTROPIC_CLASSES

MAX_EVIDENCE = 50
"""ClinicalAlertRaised carries at most 50 evidence items."""


@dataclass(frozen=True)
class Finding:
    """A rule that fired: its episode (None: the caller's open episode) and evidence."""

    rule_id: str
    severity: str
    action: str
    episode: str | None
    evidence: tuple[EvidenceItem, ...]


PlanCheck = Callable[[PlanFacts, Thresholds, datetime], Hit | None]
PatientCheck = Callable[[PatientFacts, Thresholds, datetime], Hit | None]


@dataclass(frozen=True)
class Rule:
    """One row of the table: the drug context it watches and its condition."""

    rule_id: str
    severity: str
    action: str
    context: Callable[[Plan, Thresholds], bool]
    check: PlanCheck
    on_patient_stop: bool = False
    """Also fires when the patient reports stopping (the plan is no longer active)."""

    def applies(self, facts: PlanFacts, t: Thresholds) -> bool:
        plan = facts.plan
        if plan.prn or not self.context(plan, t):
            return False
        return plan.in_force(facts.today) or (self.on_patient_stop and stopped_by_patient(facts))


def _classes(*names: str) -> Callable[[Plan, Thresholds], bool]:
    return lambda plan, _t: plan.drug_class in names


def _drug(name: str) -> Callable[[Plan, Thresholds], bool]:
    return lambda plan, _t: plan.drug == name


RULES: tuple[Rule, ...] = (
    Rule(
        "ADH-CONSEC-MISS",
        "P2",
        "Outreach: ask about the missed doses and what gets in the way.",
        _classes(*PSYCHOTROPIC_CLASSES),
        consec_miss,
    ),
    Rule(
        "ADH-SSRI-DISC",
        "P2",
        "Check for discontinuation symptoms; advise on restarting.",
        lambda p, t: p.drug_class in ("ssri", "snri") and p.drug in t.ssri_disc_hours,
        ssri_disc,
    ),
    Rule(
        "ADH-BZD-STOP",
        "P1",
        "Same-day contact: withdrawal risk after an abrupt stop.",
        _classes("benzodiazepine"),
        bzd_stop,
        on_patient_stop=True,
    ),
    Rule(
        "ADH-LITHIUM",
        "P1",
        "Same-day contact: relapse risk after an abrupt stop; ask about vomiting or diarrhoea.",
        lambda p, _t: p.drug_class == "lithium" or p.drug == "lithium",
        lithium,
        on_patient_stop=True,
    ),
    Rule(
        "ADH-CLOZ-48H",
        "P1",
        "Same-day contact: re-titration needed; the patient must not restart at the usual dose.",
        _drug("clozapine"),
        clozapine_gap,
    ),
    Rule(
        "ADH-LTG-GAP",
        "P1",
        "Same-day contact: re-titration needed; restarting at the full dose raises rash risk.",
        _drug("lamotrigine"),
        lamotrigine_gap,
    ),
    Rule(
        "ADH-ANTIPSYCH",
        "P2",
        "Review adherence with the patient; relapse-prevention plan.",
        _classes("antipsychotic"),
        antipsychotic,
    ),
    Rule(
        "ADH-NEWSTART",
        "P2",
        "Outreach after a new start: tolerability, doubts, refill.",
        _classes(*ANTIDEPRESSANT_CLASSES),
        new_start,
    ),
    Rule(
        "ADH-NO-REFILL",
        "P2",
        "Review: the supply ran out and no refill is on record.",
        lambda _p, _t: True,
        no_refill,
    ),
)
PATIENT_RULES: tuple[tuple[str, str, str, PatientCheck], ...] = (
    ("ADH-DATA-GAP", "P3", "Check in with the patient: replies stopped.", data_gap),
)


def evaluate_plan(
    facts: PlanFacts, t: Thresholds, now: datetime, rules: tuple[Rule, ...] = RULES
) -> list[tuple[str, Finding | None]]:
    """Every rule that applies to the plan, with its finding or None (its episode is over)."""
    out: list[tuple[str, Finding | None]] = []
    for rule in rules:
        if not rule.applies(facts, t):
            out.append((rule.rule_id, None))
            continue
        hit = rule.check(facts, t, now)
        out.append((rule.rule_id, _finding(rule.rule_id, rule.severity, rule.action, hit)))
    return out


def evaluate_patient(
    facts: PatientFacts, t: Thresholds, now: datetime
) -> list[tuple[str, Finding | None]]:
    """The patient-scoped rules (ADH-DATA-GAP)."""
    return [
        (rule_id, _finding(rule_id, severity, action, check(facts, t, now)))
        for rule_id, severity, action, check in PATIENT_RULES
    ]


def _finding(rule_id: str, severity: str, action: str, hit: Hit | None) -> Finding | None:
    if hit is None:
        return None
    episode, evidence = hit
    # Keep the most recent evidence: the head item first, then the latest doses.
    items = evidence
    if len(evidence) > MAX_EVIDENCE:
        items = [evidence[0], *evidence[1 - MAX_EVIDENCE :]]
    return Finding(rule_id, severity, action, episode, tuple(items))


def gap_lengths(plan: Plan, t: Thresholds, today: date) -> list[timedelta]:
    """The gaps after the last dose taken at which a time-based rule of this plan must look
    again (the caller sets a timer: no dose has to close for these to fire)."""
    if not plan.in_force(today):
        return []
    lengths = []
    if plan.drug == "clozapine":
        lengths.append(timedelta(hours=t.clozapine_gap_hours))
    if plan.drug == "lamotrigine":
        lengths.append(timedelta(days=t.lamotrigine_gap_days))
    if plan.drug_class in ("ssri", "snri") and plan.drug in t.ssri_disc_hours:
        lengths.append(timedelta(hours=t.ssri_disc_hours[plan.drug]))
    if plan.drug_class in ANTIDEPRESSANT_CLASSES and (
        (today - plan.start_date).days <= t.newstart_window_days
    ):
        lengths.append(timedelta(days=t.newstart_no_taken_days))
    return lengths
