"""Questionnaire responses and single SMS answers through the instrument rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.symptoms.rules import cssrs, gad7, pcl5, phq2, phq9
from services.symptoms.rules.instruments import INSTRUMENTS
from services.symptoms.rules.model import Finding, PatientContext, RiskMarker, rank
from services.symptoms.rules.scoring import Score, score
from services.symptoms.rules.thresholds import Thresholds


def _cssrs_answers(s: Score) -> dict[str, int]:
    """C-SSRS answers as given (a value above 1 still reads as yes), known items only."""
    return {i: v for i, v in s.raw.items() if i in INSTRUMENTS["C-SSRS"].items}


def evaluate_response(
    s: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> list[Finding]:
    """Findings of a completed (or abandoned) response, most urgent first."""
    found: list[Finding | None]
    if s.instrument == "PHQ-9":
        found = list(phq9.evaluate(s, scope=scope, ref=ref, at=at, ctx=ctx, t=t))
    elif s.instrument == "PHQ-2":
        found = [phq2.gate(s, scope=scope, ref=ref, t=t)]
    elif s.instrument == "GAD-7":
        found = list(gad7.evaluate(s, scope=scope, ref=ref, at=at, ctx=ctx, t=t))
    elif s.instrument == "PCL-5":
        found = list(pcl5.evaluate(s, scope=scope, ref=ref, at=at, ctx=ctx, t=t))
    else:
        found = [cssrs.triage(_cssrs_answers(s), scope=scope, ref=ref)]
    return sorted((f for f in found if f is not None), key=lambda f: rank(f.severity))


def evaluate_answer(
    instrument: str,
    item: str,
    value: int,
    *,
    session: Mapping[str, int],
    scope: str,
    ctx: PatientContext,
    t: Thresholds,
) -> list[Finding]:
    """Findings due the moment one SMS answer arrives (`session`: the answers so far, with it)."""
    found: list[Finding | None] = []
    if instrument == "PHQ-9" and item == "9":
        found.append(phq9.item9(value, scope=scope, ref=scope, ctx=ctx, t=t))
    elif instrument == "C-SSRS":
        found.append(
            cssrs.triage(_cssrs_answers(score("C-SSRS", session.items())), scope=scope, ref=scope)
        )
    elif instrument == "PHQ-2":
        found.append(
            phq2.gate(score("PHQ-2", session.items()), scope=scope, ref=scope, t=t, sms=True)
        )
    return [f for f in found if f is not None]


def risk_markers(s: Score, *, ref: str, at: datetime, t: Thresholds) -> list[RiskMarker]:
    """High-risk observations of a response or of the answers of a session so far."""
    out = []
    if s.instrument == "PHQ-9":
        item9 = s.value("9")
        if item9 is not None and item9 >= 1:
            out.append(RiskMarker(ref, at, "phq9_item9", f"item 9 = {item9}"))
        if s.total is not None and s.total >= t.phq9_severe_min:
            out.append(RiskMarker(ref, at, "phq9_severe", f"total = {s.total}"))
    elif s.instrument == "C-SSRS":
        level = cssrs.risk(_cssrs_answers(s))
        if level != "none":
            out.append(RiskMarker(ref, at, f"cssrs_{level}", f"risk {level}"))
    return out
