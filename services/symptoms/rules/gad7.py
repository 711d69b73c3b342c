"""GAD-7 rules (SYM-GAD7-*): severe anxiety and worsening; GAD-7 has no safety item."""

from __future__ import annotations

from datetime import datetime

from services.symptoms.rules.model import Finding, PatientContext
from services.symptoms.rules.scoring import Score
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.rules.trends import change, total_evidence
from shared.catalogue import RuleInfo

SEVERE = RuleInfo(
    "SYM-GAD7-SEVERE",
    "GAD-7 total (70274-6) >= {gad7_severe_min}",
    "{gad7_severe_severity} (P3 or P2 per clinic)",
    "[V] cut-points (Spitzer 2006), priority [D]",
)
WORSEN = RuleInfo(
    "SYM-GAD7-WORSEN",
    "GAD-7 total up >= {gad7_worsen_points} points on the previous total within "
    "{compare_window_days} d",
    "P3",
    "[D] design default, configurable",
)
RULES = (SEVERE, WORSEN)


def severe(score: Score, *, scope: str, ref: str, t: Thresholds) -> Finding | None:
    if score.total is None or score.total < t.gad7_severe_min:
        return None
    return Finding(
        SEVERE.rule_id,
        t.gad7_severe_severity,
        scope,
        (total_evidence("GAD-7", ref, score.total, score.band),),
        "Review anxiety treatment; check benzodiazepine adherence if prescribed.",
    )


def worsen(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> Finding | None:
    if score.total is None:
        return None
    hit = change(
        "GAD-7",
        ref=ref,
        total=score.total,
        at=at,
        history=ctx.history("GAD-7", exclude=ref),
        window_days=t.compare_window_days,
        tiers=[(t.gad7_worsen_points, "P3")],
    )
    if hit is None:
        return None
    return Finding(
        WORSEN.rule_id, hit[0], scope, hit[1], "Review at the next visit: anxiety worsening."
    )


def evaluate(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> list[Finding]:
    found = [
        severe(score, scope=scope, ref=ref, t=t),
        worsen(score, scope=scope, ref=ref, at=at, ctx=ctx, t=t),
    ]
    return [f for f in found if f is not None]
