"""PHQ-9, PHQ-2, GAD-7 and PCL-5 rules: a firing and a non-firing case for each."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.symptoms.rules import phq9
from services.symptoms.rules.model import (
    AlertRecord,
    Finding,
    PatientContext,
    RiskMarker,
    ScoreRecord,
)
from services.symptoms.rules.questionnaire import evaluate_response
from services.symptoms.rules.scoring import score
from services.symptoms.rules.thresholds import Thresholds
from tests.unit.symptoms.support import NOW, T, ago, by_rule, ctx, details, drug


def total_of(instrument: str, total: int) -> list[tuple[str, int]]:
    """Answers that sum to `total` (filled from item 1, item 9 of the PHQ-9 kept at 0)."""
    n_items, top = {"PHQ-9": (8, 3), "GAD-7": (7, 3), "PCL-5": (20, 4), "PHQ-2": (2, 3)}[instrument]
    values, left = [], total
    for _ in range(n_items):
        values.append(min(top, left))
        left -= values[-1]
    assert left == 0
    out = [(str(i), v) for i, v in enumerate(values, start=1)]
    return [*out, ("9", 0)] if instrument == "PHQ-9" else out


def rules_for(
    instrument: str, total: int, c: PatientContext, t: Thresholds = T, at: datetime = NOW
) -> dict[str, Finding]:
    s = score(instrument, total_of(instrument, total))
    return by_rule(evaluate_response(s, scope="qr-now", ref="qr-now", at=at, ctx=c, t=t))


def history(instrument: str, *points: tuple[float, int]) -> list[ScoreRecord]:
    return [
        ScoreRecord(f"qr-{i}", instrument, ago(days), total)
        for i, (days, total) in enumerate(points)
    ]


def test_item9_is_p1_with_a_total_of_one() -> None:
    s = score("PHQ-9", [*((str(i), 0) for i in range(1, 9)), ("9", 1)])
    found = by_rule(evaluate_response(s, scope="qr", ref="qr", at=NOW, ctx=ctx(), t=T))
    assert found["SYM-PHQ9-ITEM9"].severity == "P1"
    assert found["SYM-PHQ9-ITEM9"].crisis_text
    assert "PHQ-9 total (LOINC 44261-6) = 1 (minimal)" in details(found["SYM-PHQ9-ITEM9"])


@pytest.mark.parametrize(("days_ago", "severity"), [(10, "P0"), (40, "P1")])
def test_item9_becomes_p0_after_a_recent_cssrs_high(days_ago: int, severity: str) -> None:
    c = ctx(risks=[RiskMarker("qr-c", ago(days_ago), "cssrs_high")])
    found = phq9.item9(2, scope="s", ref="s", ctx=c, t=T)
    assert found is not None and found.severity == severity and found.crisis_text


def test_item9_zero_does_not_fire() -> None:
    assert phq9.item9(0, scope="s", ref="s", ctx=ctx(), t=T) is None


@pytest.mark.parametrize(("total", "fires"), [(20, True), (24, True), (19, False)])
def test_phq9_severe(total: int, fires: bool) -> None:
    found = rules_for("PHQ-9", total, ctx())
    assert ("SYM-PHQ9-SEVERE" in found) is fires
    if fires:
        assert found["SYM-PHQ9-SEVERE"].severity == "P2"


@pytest.mark.parametrize(
    ("points", "now_total", "fires"),
    [
        ([(14, 8)], 13, True),
        ([(14, 9)], 13, False),
        ([(60, 8)], 13, False),  # previous older than 8 weeks
        ([(40, 2), (7, 10)], 13, False),  # compared with the latest previous, not the lowest
        ([], 20, False),
    ],
)
def test_phq9_worsen(points: list[tuple[int, int]], now_total: int, fires: bool) -> None:
    found = rules_for("PHQ-9", now_total, ctx(scores=history("PHQ-9", *points)))
    assert ("SYM-PHQ9-WORSEN" in found) is fires


def test_phq9_worsen_ignores_the_response_itself() -> None:
    own = ScoreRecord("qr-now", "PHQ-9", NOW, 13)  # written before a redelivery
    found = rules_for("PHQ-9", 13, ctx(scores=[own, *history("PHQ-9", (14, 8))]))
    assert found["SYM-PHQ9-WORSEN"].severity == "P2"


@pytest.mark.parametrize(
    ("days_on", "baseline", "now_total", "alerts", "fires"),
    [
        (60, 18, 12, [], True),  # 33 % reduction after 8+ weeks
        (60, 18, 9, [], False),  # 50 % reduction: a response
        (30, 18, 12, [], False),  # too early
        (60, 8, 8, [], False),  # index score not elevated
        (60, 18, 12, [AlertRecord("a-1", "SYM-PHQ9-NONRESPONSE", "P3", ago(7))], False),
    ],
)
def test_phq9_nonresponse(
    days_on: int, baseline: int, now_total: int, alerts: list[AlertRecord], fires: bool
) -> None:
    c = ctx(
        drugs=[drug("sertraline", days_on=days_on)],
        alerts=alerts,
        scores=history("PHQ-9", (days_on + 2, baseline)),
    )
    assert ("SYM-PHQ9-NONRESPONSE" in rules_for("PHQ-9", now_total, c)) is fires


def test_phq9_nonresponse_needs_an_antidepressant() -> None:
    c = ctx(drugs=[drug("lithium", days_on=90)], scores=history("PHQ-9", (92, 18)))
    assert "SYM-PHQ9-NONRESPONSE" not in rules_for("PHQ-9", 14, c)


def test_phq2_gate_is_configurable() -> None:
    assert "SYM-PHQ2-GATE" not in rules_for("PHQ-2", 2, ctx())
    assert "SYM-PHQ2-GATE" in rules_for("PHQ-2", 2, ctx(), Thresholds(phq2_gate_min=2))


@pytest.mark.parametrize(
    ("total", "t", "severity"),
    [
        (15, T, "P3"),
        (21, Thresholds(gad7_severe_severity="P2"), "P2"),
        (14, T, None),
    ],
)
def test_gad7_severe(total: int, t: Thresholds, severity: str | None) -> None:
    found = rules_for("GAD-7", total, ctx(), t)
    got = found.get("SYM-GAD7-SEVERE")
    assert (got.severity if got else None) == severity


@pytest.mark.parametrize(("before", "now_total", "fires"), [(4, 9, True), (5, 9, False)])
def test_gad7_worsen(before: int, now_total: int, fires: bool) -> None:
    found = rules_for("GAD-7", now_total, ctx(scores=history("GAD-7", (14, before))))
    assert ("SYM-GAD7-WORSEN" in found) is fires


@pytest.mark.parametrize(
    ("before", "now_total", "severity"),
    [
        (20, 30, "P2"),
        (20, 25, "P3"),
        (20, 24, None),
        (30, 20, None),
    ],
)
def test_pcl5_worsen(before: int, now_total: int, severity: str | None) -> None:
    found = rules_for("PCL-5", now_total, ctx(scores=history("PCL-5", (28, before))))
    got = found.get("SYM-PCL5-WORSEN")
    assert (got.severity if got else None) == severity


@pytest.mark.parametrize(
    ("points", "now_total", "fires"),
    [
        ([], 33, True),
        ([(28, 25)], 40, True),
        ([(28, 35)], 40, False),
        ([], 32, False),
    ],
)
def test_pcl5_provisional_cut_point(
    points: list[tuple[int, int]], now_total: int, fires: bool
) -> None:
    found = rules_for("PCL-5", now_total, ctx(scores=history("PCL-5", *points)))
    assert ("SYM-PCL5-PROVISIONAL" in found) is fires


def test_pcl5_findings_never_name_a_severity_band() -> None:
    found = rules_for("PCL-5", 70, ctx(scores=history("PCL-5", (28, 20))))
    text = " ".join(details(f) for f in found.values()).lower()
    assert not any(word in text for word in ("mild", "moderate", "severe"))
