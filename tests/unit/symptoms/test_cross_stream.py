"""SYM-ADH-CROSS: missed doses with a worsening score or an activation/discontinuation symptom."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.symptoms.rules import cross_stream
from services.symptoms.rules.model import Finding, Trigger, evidence
from services.symptoms.rules.thresholds import Thresholds
from tests.unit.symptoms.support import NOW, T, ago, ctx, details, drug, missed, report


def worsening(scope: str = "qr-9", days_ago: float = 0) -> Trigger:
    return Trigger(
        scope,
        ago(days_ago),
        "worsening",
        (evidence("questionnaire", scope, "PHQ-9 +6 points in 14 d"),),
    )


def test_discontinuation_symptom_with_missed_doses_cites_both() -> None:
    triggers = cross_stream.from_report(report(["brain_zaps"]), at=NOW)
    c = ctx(drugs=[drug("sertraline")], doses=missed("plan-sertraline", 1, 2), triggers=triggers)
    [finding] = cross_stream.evaluate(c, T)
    assert (finding.rule_id, finding.severity, finding.scope) == ("SYM-ADH-CROSS", "P2", "se-1")
    kinds = {e.kind for e in finding.evidence}
    assert {"side_effect", "dose"} <= kinds
    assert "discontinuation symptom: brain_zaps" in details(finding)
    assert "missed dose, plan plan-sertraline (ssri)" in details(finding)


@pytest.mark.parametrize(
    ("doses", "trigger_age", "fires"),
    [
        ([1, 2], 0, True),
        ([1], 0, False),  # one missed dose is not enough
        ([9, 10], 0, False),  # missed doses older than the window
        ([0.5, 0.2], 6, True),  # dose side: doses after a 6-day-old worsening score
        ([0.5, 0.2], 8, False),  # the score is too old
    ],
)
def test_window_and_count(doses: list[float], trigger_age: float, fires: bool) -> None:
    c = ctx(doses=missed("plan-x", *doses), triggers=[worsening(days_ago=trigger_age)])
    assert bool(cross_stream.evaluate(c, T)) is fires


def test_skipped_doses_count_and_taken_doses_do_not() -> None:
    skipped = missed("plan-x", 1, 2, status="skipped")
    taken = missed("plan-x", 1, 2, status="taken")
    assert cross_stream.evaluate(ctx(doses=skipped, triggers=[worsening()]), T)
    assert not cross_stream.evaluate(ctx(doses=taken, triggers=[worsening()]), T)


def test_one_alert_per_symptom_event() -> None:
    both = cross_stream.from_report(report(["insomnia", "brain_zaps"]), at=NOW)
    assert {t.kind for t in both} == {"activation", "discontinuation"}
    found = cross_stream.evaluate(ctx(doses=missed("p", 1, 2), triggers=both), T)
    assert len(found) == 1


def test_worsening_findings_become_triggers() -> None:
    worse = Finding("SYM-PHQ9-WORSEN", "P2", "qr-1", (), "x")
    severe = Finding("SYM-PHQ9-SEVERE", "P2", "qr-1", (), "x")
    assert [
        t.kind for t in cross_stream.from_findings([worse, severe], scope="qr-1", at=NOW, drugs=[])
    ] == ["worsening"]


def test_severe_anxiety_with_missed_benzodiazepine_doses_is_p1() -> None:
    gad = Finding("SYM-GAD7-SEVERE", "P3", "qr-2", (), "x")
    benzo = drug("lorazepam")
    triggers = cross_stream.from_findings([gad], scope="qr-2", at=NOW, drugs=[benzo])
    assert [t.kind for t in triggers] == ["anxiety_benzo"]
    c = ctx(drugs=[benzo], doses=missed("plan-lorazepam", 1, 2), triggers=triggers)
    assert [f.severity for f in cross_stream.evaluate(c, T)] == ["P1"]
    assert not cross_stream.from_findings([gad], scope="qr-2", at=NOW, drugs=[drug("lithium")])


def test_severity_is_configurable() -> None:
    c = ctx(doses=missed("p", 1, 2), triggers=[worsening()])
    t = Thresholds(cross_severity="P1", cross_missed_min=2)
    assert [f.severity for f in cross_stream.evaluate(c, t)] == ["P1"]
    assert not cross_stream.evaluate(replace(c, doses=()), t)
