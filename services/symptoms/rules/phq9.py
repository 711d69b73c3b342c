"""PHQ-9 rules (SYM-PHQ9-*): item 9 on its own, severe total, worsening, non-response."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.symptoms.rules.drugs import is_antidepressant
from services.symptoms.rules.instruments import describe_item
from services.symptoms.rules.model import (
    Drug,
    Finding,
    PatientContext,
    ScoreRecord,
    Severity,
    evidence,
)
from services.symptoms.rules.scoring import Score
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.rules.trends import change, total_evidence
from shared.catalogue import RuleInfo

ITEM9 = RuleInfo(
    "SYM-PHQ9-ITEM9",
    "PHQ-9 item 9 (44260-8) >= 1, evaluated the moment it is answered (SMS item or completed "
    "response), never suppressed by the total",
    "P1 + crisis text; P0 if a C-SSRS high-risk answer in the last {cssrs_recent_days} d",
    "[V] MII: any positive response regardless of total; priorities [D]",
)
BAND = RuleInfo(
    "SYM-PHQ9-BAND",
    "total (44261-6) and band computed only when all 9 items are answered; never prorated",
    "no alert (scoring: minimal 0-4, mild 5-9, moderate 10-14, mod. severe 15-19, severe 20-27)",
    "[V] bands (Kroenke 2001), completeness [D]",
)
SEVERE = RuleInfo(
    "SYM-PHQ9-SEVERE",
    "PHQ-9 total >= {phq9_severe_min}",
    "P2 (item 9 / C-SSRS raise their own, more urgent alerts)",
    "[D] design default, configurable",
)
WORSEN = RuleInfo(
    "SYM-PHQ9-WORSEN",
    "PHQ-9 total up >= {phq9_worsen_points} points on the previous total within "
    "{compare_window_days} d",
    "P2",
    "[D] design default, configurable",
)
NONRESPONSE = RuleInfo(
    "SYM-PHQ9-NONRESPONSE",
    "on an antidepressant >= {phq9_nonresponse_after_days} d and < 50% reduction from an index "
    "PHQ-9 >= {phq9_baseline_min} (not repeated within {repeat_review_days} d)",
    "P3 (medication review)",
    "[V] HEDIS response definition (>= 50% reduction), rule [D]",
)
RULES = (ITEM9, BAND, SEVERE, WORSEN, NONRESPONSE)


def item9(
    value: int | None,
    *,
    scope: str,
    ref: str,
    ctx: PatientContext,
    t: Thresholds,
    score: Score | None = None,
) -> Finding | None:
    """Any positive item 9 (the raw answer, even out of range) fires, whatever the total."""
    # Not configurable on purpose: "any positive response" is the verified requirement.
    if value is None or value < 1:
        return None
    cited = [evidence("item", ref, describe_item("PHQ-9", "9", value))]
    if score is not None and score.total is not None:
        cited.append(total_evidence("PHQ-9", ref, score.total, score.band))
    recent_high = [
        r for r in ctx.risks if r.kind == "cssrs_high" and r.at >= ctx.since(t.cssrs_recent_days)
    ]
    cited += [evidence("questionnaire", r.ref, "C-SSRS high risk (recent)") for r in recent_high]
    severity: Severity = "P0" if recent_high else "P1"
    if severity == "P0":
        action = (
            "Safety precautions now: call the patient at once (item 9 positive after a "
            "C-SSRS high-risk screen). Crisis text (988/911) sent."
        )
    elif value >= 2:
        action = "Clinician contact within 1 hour; administer C-SSRS. Crisis text (988) sent."
    else:
        action = "Clinician review today; offer C-SSRS screener or a call. Crisis text (988) sent."
    return Finding(ITEM9.rule_id, severity, scope, tuple(cited), action, crisis_text=True)


def severe(score: Score, *, scope: str, ref: str, t: Thresholds) -> Finding | None:
    if score.total is None or score.total < t.phq9_severe_min:
        return None
    return Finding(
        SEVERE.rule_id,
        "P2",
        scope,
        (total_evidence("PHQ-9", ref, score.total, score.band),),
        "Contact the patient by the next business day; review treatment plan.",
    )


def worsen(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> Finding | None:
    if score.total is None:
        return None
    hit = change(
        "PHQ-9",
        ref=ref,
        total=score.total,
        at=at,
        history=ctx.history("PHQ-9", exclude=ref),
        window_days=t.compare_window_days,
        tiers=[(t.phq9_worsen_points, "P2")],
    )
    if hit is None:
        return None
    return Finding(
        WORSEN.rule_id,
        hit[0],
        scope,
        hit[1],
        "Contact the patient by the next business day: depression worsening.",
    )


def baseline(history: list[ScoreRecord], drug: Drug, grace_days: int) -> ScoreRecord | None:
    """The index score: the latest on or before the start day, else the first within the grace."""
    before = [s for s in history if drug.local_date(s.at) <= drug.start]
    if before:
        return before[-1]
    last_day = drug.start + timedelta(days=grace_days)
    after = [s for s in history if drug.local_date(s.at) <= last_day]
    return after[0] if after else None


def nonresponse(
    score: Score, *, scope: str, ref: str, ctx: PatientContext, t: Thresholds
) -> Finding | None:
    if score.total is None:
        return None
    cutoff = ctx.since(t.repeat_review_days)
    if any(a.rule_id == NONRESPONSE.rule_id and a.at >= cutoff for a in ctx.alerts):
        return None
    on_drug = [
        d
        for d in ctx.drugs
        if is_antidepressant(d)
        and d.stopped is None
        and d.days_on(ctx.now) >= t.phq9_nonresponse_after_days
    ]
    if not on_drug:
        return None
    drug = min(on_drug, key=lambda d: d.start)
    index = baseline(ctx.history("PHQ-9", exclude=ref), drug, t.phq9_baseline_grace_days)
    if index is None or index.total < t.phq9_baseline_min:
        return None
    if score.total <= index.total * (1 - t.phq9_response_reduction):
        return None
    reduction = round(100 * (index.total - score.total) / index.total)
    return Finding(
        NONRESPONSE.rule_id,
        "P3",
        scope,
        (
            total_evidence("PHQ-9", ref, score.total),
            total_evidence("PHQ-9", index.ref, index.total),
            evidence(
                "other",
                drug.plan_id,
                f"plan {drug.plan_id} ({drug.drug_class}) day {drug.days_on(ctx.now)}; "
                f"reduction {reduction}% from baseline",
            ),
        ),
        "Medication review at the next visit: no response (< 50% reduction) after 8+ weeks.",
    )


def evaluate(
    score: Score, *, scope: str, ref: str, at: datetime, ctx: PatientContext, t: Thresholds
) -> list[Finding]:
    """All PHQ-9 findings of one response (item 9 first)."""
    found = [
        item9(score.value("9"), scope=scope, ref=ref, ctx=ctx, t=t, score=score),
        severe(score, scope=scope, ref=ref, t=t),
        worsen(score, scope=scope, ref=ref, at=at, ctx=ctx, t=t),
        nonresponse(score, scope=scope, ref=ref, ctx=ctx, t=t),
    ]
    return [f for f in found if f is not None]
