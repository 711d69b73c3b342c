"""PCL-5 rules (SYM-PCL5-*): change by reliable / meaningful points and the provisional cut-point.

There are no empirically derived PCL-5 severity bands, so none are used or shown."""

from __future__ import annotations

from datetime import datetime

from services.symptoms.rules.model import Finding, PatientContext, evidence
from services.symptoms.rules.scoring import Score, pcl5_dsm_rule
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.rules.trends import change, previous, total_evidence
from shared.catalogue import RuleInfo

WORSEN = RuleInfo(
    "SYM-PCL5-WORSEN",
    "PCL-5 total up >= {pcl5_meaningful_change} points (clinically meaningful) or >= "
    "{pcl5_reliable_change} points (reliable change) on the previous total within "
    "{compare_window_days} d",
    "P2 (meaningful); P3 (reliable)",
    "[V] change thresholds (Blevins 2015, Bovin 2016), priorities [D]",
)
PROVISIONAL = RuleInfo(
    "SYM-PCL5-PROVISIONAL",
    "PCL-5 total reaches the cut-point {pcl5_cutoff} (first time, or from below it); the DSM-5 "
    "cluster rule is cited",
    "P3 (clinician assessment)",
    "[V] cut-point 31-33 (Bovin 2016), configurable; rule [D]",
)
RULES = (WORSEN, PROVISIONAL)


def worsen(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> Finding | None:
    if score.total is None:
        return None
    hit = change(
        "PCL-5",
        ref=ref,
        total=score.total,
        at=at,
        history=ctx.history("PCL-5", exclude=ref),
        window_days=t.compare_window_days,
        tiers=[(t.pcl5_meaningful_change, "P2"), (t.pcl5_reliable_change, "P3")],
    )
    if hit is None:
        return None
    return Finding(
        WORSEN.rule_id,
        hit[0],
        scope,
        hit[1],
        "Review PTSD symptoms and treatment: PCL-5 worsening.",
    )


def provisional(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> Finding | None:
    if score.total is None or score.total < t.pcl5_cutoff:
        return None
    prior = previous(ctx.history("PCL-5", exclude=ref), at=at, window_days=36500)
    if prior is not None and prior.total >= t.pcl5_cutoff:
        return None  # already above the cut-point: the change rule covers what follows
    dsm = "met" if pcl5_dsm_rule(score.answers) else "not met"
    return Finding(
        PROVISIONAL.rule_id,
        "P3",
        scope,
        (
            total_evidence("PCL-5", ref, score.total),
            evidence(
                "questionnaire", ref, f"PCL-5 cut-point {t.pcl5_cutoff}; DSM-5 cluster rule {dsm}"
            ),
        ),
        "Provisional PTSD screen: clinician assessment at the next visit.",
    )


def evaluate(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> list[Finding]:
    found = [
        worsen(score, scope=scope, ref=ref, at=at, ctx=ctx, t=t),
        provisional(score, scope=scope, ref=ref, at=at, ctx=ctx, t=t),
    ]
    return [f for f in found if f is not None]
