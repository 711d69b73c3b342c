"""SYM-CSSRS-TRIAGE: Columbia screener answers to a risk level and a priority."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from services.symptoms.rules.instruments import CSSRS_RISK_LOINC, describe_item
from services.symptoms.rules.model import Finding, evidence
from shared.catalogue import RuleInfo

Risk = Literal["none", "low", "moderate", "high"]

RULE = RuleInfo(
    "SYM-CSSRS-TRIAGE",
    "C-SSRS screener, per answer as it arrives and on completion: Q4 or Q5 yes, or Q6 yes with "
    "6b yes or unanswered -> high; Q3 yes, or Q6 yes with 6b no -> moderate; Q1/Q2 yes -> low",
    "high P0; moderate P1; low P1; crisis text for every positive",
    "[V] C-SSRS screener high-risk row; colour tiers [S]; priorities [D]",
)

ACTIONS: dict[Risk, str] = {
    "high": "Safety precautions now: call the patient at once; if unreachable and risk is "
    "imminent, "
    "follow the clinic emergency protocol. Crisis text (988/911) sent.",
    "moderate": "Clinician contact within 1 hour; review safety plan. Crisis text (988) sent.",
    "low": "Same-day clinician contact; offer safety planning. Crisis text (988) sent.",
}


def yes(answers: Mapping[str, int], item: str) -> bool:
    """Yes is 1; any other positive value is read as yes too (never hide a positive)."""
    return answers.get(item, 0) >= 1


def risk(answers: Mapping[str, int]) -> Risk:
    """The triage level of the answers given so far (unanswered questions count as no)."""
    # Q6 (any suicidal behaviour) yes without 6b (within 3 months?) is treated as recent: when in
    # doubt, escalate.
    recent_behaviour = yes(answers, "6") and (yes(answers, "6b") or "6b" not in answers)
    if yes(answers, "4") or yes(answers, "5") or recent_behaviour:
        return "high"
    if yes(answers, "3") or yes(answers, "6"):
        return "moderate"
    if yes(answers, "1") or yes(answers, "2"):
        return "low"
    return "none"


def triage(answers: Mapping[str, int], *, scope: str, ref: str) -> Finding | None:
    """A P0/P1 finding with the crisis text for any positive screen; None when all are no."""
    level = risk(answers)
    if level == "none":
        return None
    cited = [
        evidence("item", ref, describe_item("C-SSRS", item, answers[item]))
        for item in ("1", "2", "3", "4", "5", "6", "6b")
        if item in answers and (yes(answers, item) or item == "6b")
    ]
    cited.append(
        evidence("questionnaire", ref, f"C-SSRS risk level (LOINC {CSSRS_RISK_LOINC}): {level}")
    )
    return Finding(
        rule_id=RULE.rule_id,
        severity="P0" if level == "high" else "P1",
        scope=scope,
        evidence=tuple(cited),
        suggested_action=ACTIONS[level],
        crisis_text=True,
    )
