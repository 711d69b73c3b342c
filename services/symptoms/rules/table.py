"""The shape of a red-flag row (SE-*) and the named symptom groups the rows share."""

from __future__ import annotations

from dataclasses import dataclass

from services.symptoms.rules import drugs as dc
from services.symptoms.rules.conditions import Cond, Sym, any_of, codes
from services.symptoms.rules.model import Severity


@dataclass(frozen=True)
class Tier:
    """One priority of a row; the first tier (most urgent first) whose conditions hold wins."""

    severity: Severity
    when: Cond
    max_age: str | None = None  # threshold name: younger than it (an unknown age counts)
    min_age: str | None = None  # threshold name: at least this old (an unknown age does not)
    recent: tuple[str | None, str | None] | None = None  # (days since start, since dose change)
    crisis: bool = False  # crisis text below P0 (suicidality)
    action: str | None = None

    def qualifiers(self) -> str:
        parts = []
        if self.max_age:
            parts.append(f"age < {{{self.max_age}}} (unknown counts)")
        if self.min_age:
            parts.append(f"age >= {{{self.min_age}}}")
        if self.recent:
            start, change = self.recent
            window = [
                f"started <= {{{start}}} d" if start else "",
                f"dose changed <= {{{change}}} d" if change else "",
            ]
            parts.append(" or ".join(w for w in window if w))
        return f" [{'; '.join(parts)}]" if parts else ""


@dataclass(frozen=True)
class Row:
    """A red-flag rule: relevant when the drug context holds; fires at the first matching tier."""

    rule_id: str
    title: str
    context: dc.DrugContext
    tiers: tuple[Tier, ...]
    action: str
    source: str
    fallback: bool = False  # universal safety net: cites only what drug rows did not already


NEURO = any_of("clonus", "tremor", "coarse_tremor", "muscle_stiffness", label="neuromuscular")
# SE-SEROTONIN: combinations of tremor/jerks + sweating/agitation/fever are treated as suspect;
# confusion and a racing heart are the tetrad's mental and autonomic signs. Diarrhoea alone is
# too common on SSRIs to pair with a tremor.
AUTONOMIC = any_of(
    "sweating", "agitation", "fever", "confusion", "racing_heart", label="autonomic/mental"
)
ACTIVATION = any_of(
    "depression_worse",
    "anxiety_worse",
    "panic_attacks",
    "agitation",
    "restlessness",
    "insomnia",
    "irritability",
    "aggression",
    "impulsivity",
    "elevated_mood",
    "less_need_for_sleep",
    label="activation symptom",
)
FINISH_CODES = (
    "flu_like",
    "insomnia",
    "vivid_dreams",
    "nausea",
    "dizziness",
    "ataxia",
    "brain_zaps",
    "tingling",
    "anxiety_worse",
    "irritability",
    "agitation",
)
FINISH = any_of(*FINISH_CODES, label="FINISH symptom")
FINISH_SEVERE = any_of(*(Sym(c, 3) for c in FINISH_CODES), label="FINISH symptom at severity 3")
SI = any_of("suicidal_thoughts", "self_harm_urges", label="suicidal thoughts or self-harm urges")


def defined(*conds: Cond) -> str:
    """'name = code, code; ...' for the catalogue."""
    return "; ".join(f"{c.describe()} = {', '.join(codes(c))}" for c in conds)


ACTIVATION_WINDOW = ("activation_start_days", "activation_dose_change_days")
CALL_NOW = "Call the patient now; if unreachable, follow the clinic emergency protocol."
