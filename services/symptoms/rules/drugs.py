"""Drug contexts (the SE-* rules' 'Drug context'): which plans make a rule relevant, and how."""

from __future__ import annotations

from dataclasses import dataclass

from services.symptoms.rules.model import Drug, PatientContext, Report
from services.symptoms.rules.thresholds import Thresholds
from shared.lexicon.drugs import (
    ANTIDEPRESSANT_CLASSES,
    LITHIUM,
    LONG_HALF_LIFE,
    OTHER_ANTIDEPRESSANTS,
    SEROTONERGIC_CLASSES,
    SEROTONERGIC_DRUGS,
    STOP_SENSITIVE_CLASSES,
    STOP_SENSITIVE_DRUGS,
    VALPROATE,
)


def is_antidepressant(drug: Drug) -> bool:
    return drug.drug_class in ANTIDEPRESSANT_CLASSES or drug.drug in OTHER_ANTIDEPRESSANTS


def is_stop_sensitive(drug: Drug) -> bool:
    return drug.drug_class in STOP_SENSITIVE_CLASSES or drug.drug in STOP_SENSITIVE_DRUGS


@dataclass(frozen=True)
class DrugContext:
    """Which of the patient's plans make a rule relevant."""

    label: str
    classes: frozenset[str] = frozenset()
    drugs: frozenset[str] = frozenset()
    universal: bool = False
    withdrawal: bool = False

    def covers(self, drug: Drug) -> bool:
        return drug.drug_class in self.classes or drug.drug in self.drugs

    def relevant(
        self, ctx: PatientContext, report: Report, t: Thresholds
    ) -> list[tuple[Drug, str]]:
        """The matching plans, each with a PHI-free note of why it counts."""
        out = []
        for drug in ctx.drugs:
            if not self.covers(drug):
                continue
            note = (
                withdrawal_note(drug, ctx, report, t)
                if self.withdrawal
                else context_note(drug, ctx, t)
            )
            if note is not None:
                out.append((drug, note))
        return out


def context_note(drug: Drug, ctx: PatientContext, t: Thresholds) -> str | None:
    """Active, or stopped within `stopped_recent_days` (effects outlast the last dose)."""
    stopped = drug.days_since_stop(ctx.now)
    if stopped is not None and stopped > t.stopped_recent_days:
        return None
    parts = [f"plan {drug.plan_id} ({drug.drug_class})", f"day {drug.days_on(ctx.now)}"]
    changed = drug.days_since_change(ctx.now)
    if changed is not None:
        parts.append(f"dose changed {changed} d ago")
    if stopped is not None:
        parts.append(f"stopped {stopped} d ago")
    return ", ".join(parts)


def missed_doses(drug: Drug, ctx: PatientContext, days: int) -> int:
    since = ctx.since(days)
    return sum(
        1
        for d in ctx.doses
        if d.plan_id == drug.plan_id and d.status != "taken" and since <= d.at <= ctx.now
    )


def withdrawal_note(drug: Drug, ctx: PatientContext, report: Report, t: Thresholds) -> str | None:
    """Stopped recently, reported stopped, or doses missed: the plan may be in withdrawal."""
    label = f"plan {drug.plan_id} ({drug.drug_class})"
    stopped = drug.days_since_stop(ctx.now)
    if stopped is not None:
        return f"{label} stopped {stopped} d ago" if stopped <= t.stopped_recent_days else None
    if report.stopped_medication and report.plan_id in (None, drug.plan_id):
        return f"{label}: patient reports stopping"
    if drug.drug in LONG_HALF_LIFE:
        return None
    missed = missed_doses(drug, ctx, t.discontinuation_window_days)
    if missed >= t.discontinuation_missed_min:
        return f"{label}: {missed} doses missed in {t.discontinuation_window_days} d"
    return None


ANTIPSYCHOTIC = DrugContext(
    "any antipsychotic (or metoclopramide)",
    classes=frozenset({"antipsychotic"}),
    drugs=frozenset({"metoclopramide"}),
)
SEROTONERGIC = DrugContext(
    "any serotonergic drug", classes=SEROTONERGIC_CLASSES, drugs=SEROTONERGIC_DRUGS
)
ANTIDEPRESSANT = DrugContext(
    "any antidepressant", classes=ANTIDEPRESSANT_CLASSES, drugs=OTHER_ANTIDEPRESSANTS
)
LITHIUM_CTX = DrugContext("lithium", classes=frozenset({"lithium"}), drugs=LITHIUM)
CLOZAPINE = DrugContext("clozapine", drugs=frozenset({"clozapine"}))
LAMOTRIGINE = DrugContext("lamotrigine", drugs=frozenset({"lamotrigine"}))
VALPROATE_CTX = DrugContext("valproate / divalproex", drugs=VALPROATE)
AKATHISIA_CTX = DrugContext(
    "antipsychotic, SSRI or SNRI", classes=frozenset({"antipsychotic", "ssri", "snri"})
)
BENZODIAZEPINE = DrugContext("benzodiazepine", classes=frozenset({"benzodiazepine"}))
BZD_WITHDRAWAL = DrugContext(
    "benzodiazepine stopped, reported stopped or doses missed",
    classes=frozenset({"benzodiazepine"}),
    withdrawal=True,
)
SSRI_WITHDRAWAL = DrugContext(
    "SSRI/SNRI stopped, reported stopped or doses missed",
    classes=frozenset({"ssri", "snri"}),
    withdrawal=True,
)
MAOI = DrugContext("MAOI", classes=frozenset({"maoi"}))
PRIAPISM_CTX = DrugContext(
    "trazodone or antipsychotic",
    classes=frozenset({"trazodone", "antipsychotic"}),
    drugs=frozenset({"trazodone"}),
)
SSRI_SNRI = DrugContext("SSRI or SNRI", classes=frozenset({"ssri", "snri"}))
UNIVERSAL = DrugContext("regardless of drug context", universal=True)
