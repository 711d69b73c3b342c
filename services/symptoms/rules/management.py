"""Review items: SE-TOLERABILITY, the clinic's common side-effect strategies (SE-COMMON), the
rest (SE-OTHER)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.symptoms.rules.drugs import is_stop_sensitive
from services.symptoms.rules.model import Finding, PatientContext, Report, Severity, evidence
from shared.catalogue import RuleInfo


@dataclass(frozen=True)
class Strategy:
    """The clinic's management strategy for a common side effect."""

    name: str
    suggestion: str
    impact: str = "moderate"


# The clinic's table: weight gain, fatigue, GI upset; each of moderate impact.
WEIGHT = Strategy("weight gain", "dietary counselling and exercise plan")
FATIGUE = Strategy("fatigue", "adjust dose or timing")
GI = Strategy("GI upset", "switch medication or dietary change")
STRATEGIES: dict[str, Strategy] = {
    "weight_gain": WEIGHT,
    "fatigue": FATIGUE,
    "drowsiness": FATIGUE,
    "gi_upset": GI,
    "nausea": GI,
    "diarrhoea": GI,
}

TOLERABILITY = RuleInfo(
    "SE-TOLERABILITY",
    "any side effect rated 3 (severe) not already cited by a more urgent rule, or the patient "
    "says they stopped a drug",
    "P2; P1 when the stopped drug is lithium, clozapine, lamotrigine or a benzodiazepine",
    "[D]; stop-sensitive drugs as in ADH-LITHIUM, ADH-BZD-STOP, ADH-CLOZ-48H, ADH-LTG-GAP",
)
COMMON = RuleInfo(
    "SE-COMMON",
    "a common side effect not cited by a red-flag rule: weight_gain; fatigue or drowsiness; "
    "gi_upset, nausea or diarrhoea",
    "P3 review item carrying the clinic's strategy (moderate impact)",
    "clinic management table (rules/management.py) [U]",
)
OTHER = RuleInfo(
    "SE-OTHER",
    "any other reported symptom (severity >= 1) no rule cited",
    "P3 review at the next visit",
    "[D] (nothing reported is dropped)",
)
RULES = (TOLERABILITY, COMMON, OTHER)


def tolerability(
    report: Report, ctx: PatientContext, cited: Mapping[str, Severity]
) -> Finding | None:
    """Severe (3) effects that no more urgent rule took, or a reported stop."""
    severe = sorted(c for c, v in report.effects.items() if v >= 3 and c not in cited)
    if not severe and not report.stopped_medication:
        return None
    cites = [evidence("side_effect", report.ref, report.cite(c)) for c in severe]
    severity: Severity = "P2"
    if report.stopped_medication:
        stopped = [
            d for d in ctx.drugs if d.stopped is None and report.plan_id in (None, d.plan_id)
        ]
        sensitive = [d for d in stopped if is_stop_sensitive(d)]
        cites.append(evidence("side_effect", report.ref, "patient reports stopping a medication"))
        cites += [
            evidence(
                "other",
                d.plan_id,
                f"plan {d.plan_id} ({d.drug_class}): stopping needs clinician plan",
            )
            for d in sensitive
        ]
        severity = "P1" if sensitive else "P2"
    action = (
        "Contact the patient: side effects may lead to stopping; review dose or alternative."
        if severity == "P2"
        else "Same-day contact: stopping this drug abruptly is risky (relapse, withdrawal, "
        "re-titration)."
    )
    return Finding(
        TOLERABILITY.rule_id, severity, report.ref, tuple(cites), action, cites=frozenset(severe)
    )


def common(report: Report, cited: Mapping[str, Severity]) -> Finding | None:
    """One P3 item listing each common side effect with the clinic's strategy."""
    # In the order of the clinic's table.
    codes = [c for c in STRATEGIES if report.effects.get(c, 0) >= 1 and c not in cited]
    if not codes:
        return None
    cites = tuple(
        evidence(
            "side_effect",
            report.ref,
            f"{c} (severity {report.effects[c]}, impact {STRATEGIES[c].impact}): "
            f"{STRATEGIES[c].suggestion}",
        )
        for c in codes
    )
    used = dict.fromkeys(STRATEGIES[c] for c in codes)
    action = "; ".join(f"{s.name}: {s.suggestion}" for s in used)
    return Finding(COMMON.rule_id, "P3", report.ref, cites, action, cites=frozenset(codes))


def other(report: Report, cited: Mapping[str, Severity]) -> Finding | None:
    """Whatever no rule cited still reaches the weekly review."""
    codes = sorted(c for c, v in report.effects.items() if v >= 1 and c not in cited)
    if not codes:
        return None
    cites = tuple(evidence("side_effect", report.ref, report.cite(c)) for c in codes)
    return Finding(
        OTHER.rule_id,
        "P3",
        report.ref,
        cites,
        "Review at the next visit or weekly review.",
        cites=frozenset(codes),
    )
