"""SYM-PHQ2-GATE: a positive PHQ-2 asks for the full PHQ-9 in the same session."""

from __future__ import annotations

from services.symptoms.rules.model import Finding
from services.symptoms.rules.scoring import Score
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.rules.trends import total_evidence
from shared.catalogue import RuleInfo

GATE = RuleInfo(
    "SYM-PHQ2-GATE",
    "PHQ-2 total >= {phq2_gate_min} (items 1-2 answered)",
    "P3 (continue with PHQ-9 items 3-9 in the same session); PHQ-2 never screens suicidality",
    "[V] cut-points (Kroenke 2003, Arroll 2010), gate [D]",
)
RULES = (GATE,)


def gate(score: Score, *, scope: str, ref: str, t: Thresholds, sms: bool = False) -> Finding | None:
    """Positive screen: the session should go on to the full PHQ-9 (an SMS check-in does)."""
    if score.total is None or score.total < t.phq2_gate_min:
        return None
    action = (
        "Positive depression screen: the SMS check-in goes on with PHQ-9 items 3-9."
        if sms
        else "Positive depression screen: administer PHQ-9 items 3-9 in this session."
    )
    return Finding(GATE.rule_id, "P3", scope, (total_evidence("PHQ-2", ref, score.total),), action)
