"""A side-effect report through the red-flag table, free-text screen and review items."""

from __future__ import annotations

from collections.abc import Mapping

from services.symptoms.rules import management
from services.symptoms.rules.model import (
    Drug,
    Finding,
    PatientContext,
    Report,
    Severity,
    evidence,
    rank,
)
from services.symptoms.rules.side_effects import TABLE, Row, Tier
from services.symptoms.rules.thresholds import Thresholds
from shared.lexicon.crisis import screen

ANY_EMERGENCY = "SE-ANY-EMERGENCY"


def _threshold(t: Thresholds, name: str) -> int:
    return int(getattr(t, name))


def _age_ok(tier: Tier, age: int | None, t: Thresholds) -> bool:
    if tier.max_age and age is not None and age >= _threshold(t, tier.max_age):
        return False
    return not (tier.min_age and (age is None or age < _threshold(t, tier.min_age)))


def _recent(drug: Drug, tier: Tier, ctx: PatientContext, t: Thresholds) -> bool:
    if tier.recent is None:
        return True
    start, change = tier.recent
    if start and drug.days_on(ctx.now) <= _threshold(t, start):
        return True
    since_change = drug.days_since_change(ctx.now)
    return bool(change and since_change is not None and since_change <= _threshold(t, change))


def _age_note(tier: Tier, age: int | None, t: Thresholds) -> str | None:
    if tier.max_age:
        limit = _threshold(t, tier.max_age)
        return (
            f"age under {limit}" if age is not None else f"age unknown (treated as under {limit})"
        )
    if tier.min_age:
        return f"age {_threshold(t, tier.min_age)} or over"
    return None


def evaluate_row(
    row: Row, report: Report, effects: Mapping[str, int], ctx: PatientContext, t: Thresholds
) -> Finding | None:
    """The first tier of a row whose symptoms, age and drug window hold, as a finding."""
    relevant = [] if row.context.universal else row.context.relevant(ctx, report, t)
    if not row.context.universal and not relevant:
        return None
    for tier in row.tiers:
        hit = tier.when.match(effects)
        if hit is None or not _age_ok(tier, ctx.age, t):
            continue
        in_window = [(d, note) for d, note in relevant if _recent(d, tier, ctx, t)]
        if tier.recent is not None and not in_window:
            continue
        cites = [evidence("side_effect", report.ref, report.cite(c)) for c in sorted(hit)]
        cites += [evidence("other", d.plan_id, f"drug context: {note}") for d, note in in_window]
        if (note := _age_note(tier, ctx.age, t)) is not None:
            cites.append(evidence("other", report.ref, note))
        return Finding(
            rule_id=row.rule_id,
            severity=tier.severity,
            scope=report.ref,
            evidence=tuple(cites),
            suggested_action=tier.action or row.action,
            crisis_text=tier.severity == "P0" or tier.crisis,
            cites=hit,
        )
    return None


def _free_text(report: Report, finding: Finding | None) -> Finding | None:
    """Merge crisis language in the free text into the SE-ANY-EMERGENCY finding: P0 for explicit
    intent, an act or a medical emergency, P1 for indirect risk language (the shared screen's
    levels), never less urgent than what the symptoms already raised."""
    match = screen(report.free_text)
    if match is None:
        return finding
    cites = tuple(
        evidence("side_effect", report.ref, f"free text: crisis language ({c})")
        for c in match.categories
    )
    if finding is not None:
        severity = min((finding.severity, match.level), key=rank)
        return Finding(
            finding.rule_id,
            severity,
            finding.scope,
            finding.evidence + cites,
            finding.suggested_action,
            crisis_text=True,
            cites=finding.cites,
        )
    row = next(r for r in TABLE if r.rule_id == ANY_EMERGENCY)
    return Finding(ANY_EMERGENCY, match.level, report.ref, cites, row.action, crisis_text=True)


def evaluate(report: Report, ctx: PatientContext, t: Thresholds) -> list[Finding]:
    """Every finding of one report, most urgent first."""
    effects = {c: v for c, v in report.effects.items() if v >= 1}
    found: list[Finding] = []
    cited: dict[str, Severity] = {}

    def keep(finding: Finding | None) -> None:
        if finding is None:
            return
        found.append(finding)
        for code in finding.cites:
            if code not in cited or rank(finding.severity) < rank(cited[code]):
                cited[code] = finding.severity

    for row in (r for r in TABLE if not r.fallback):
        keep(evaluate_row(row, report, effects, ctx, t))
    red_flags = dict(cited)
    for row in (r for r in TABLE if r.fallback):
        # The safety net cites only what no drug rule already raised at least as urgently.
        top = row.tiers[0].severity
        rest = {c: v for c, v in effects.items() if c not in cited or rank(cited[c]) > rank(top)}
        finding = evaluate_row(row, report, rest, ctx, t)
        keep(_free_text(report, finding) if row.rule_id == ANY_EMERGENCY else finding)
    urgent = {c: s for c, s in cited.items() if rank(s) <= rank("P2")}
    keep(management.tolerability(report, ctx, urgent))
    keep(management.common(report, red_flags))
    keep(management.other(report, cited))
    return sorted(found, key=lambda f: rank(f.severity))
