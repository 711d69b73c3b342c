"""APPT-NOSHOW-RISK (docs/clinical-rules.md): a no-show after a recent high-risk flag."""

from __future__ import annotations

import pytest

from services.symptoms.rules import noshow
from services.symptoms.rules.model import AlertRecord, RiskMarker
from services.symptoms.rules.thresholds import Thresholds
from tests.unit.symptoms.support import T, ago, ctx, details


def alert(severity: str, days_ago: float, rule: str = "SYM-PHQ9-ITEM9") -> AlertRecord:
    return AlertRecord(f"al-{severity}-{days_ago}", rule, severity, ago(days_ago))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("alerts", "risks", "severity"),
    [
        ([alert("P1", 10)], [], "P1"),
        ([alert("P0", 29)], [], "P1"),
        ([], [RiskMarker("qr-1", ago(5), "phq9_severe", "total = 22")], "P1"),
        ([], [RiskMarker("s-1", ago(5), "cssrs_low")], "P1"),
        ([alert("P2", 3, "SYM-PHQ9-WORSEN")], [], "P2"),
        ([alert("P3", 3, "SE-COMMON")], [], None),
        ([alert("P1", 40)], [RiskMarker("qr-1", ago(45), "phq9_item9")], None),
        ([], [], None),
    ],
)
def test_noshow(alerts: list[AlertRecord], risks: list[RiskMarker], severity: str | None) -> None:
    finding = noshow.evaluate("ap-1", ctx(alerts=alerts, risks=risks), T)
    assert (finding.severity if finding else None) == severity
    if finding:
        assert finding.scope == "ap-1" and finding.evidence[0].kind == "appointment"
        assert not finding.crisis_text


def test_noshow_cites_the_alert_it_follows() -> None:
    finding = noshow.evaluate("ap-1", ctx(alerts=[alert("P1", 10)]), T)
    assert finding is not None and "SYM-PHQ9-ITEM9 P1" in details(finding)


def test_the_p2_tier_can_be_switched_off() -> None:
    c = ctx(alerts=[alert("P2", 3, "SYM-PHQ9-WORSEN")])
    assert noshow.evaluate("ap-1", c, Thresholds(noshow_on_p2=False)) is None


def test_an_earlier_noshow_alert_is_not_a_risk_flag() -> None:
    c = ctx(alerts=[alert("P1", 3, "APPT-NOSHOW-RISK")])
    assert noshow.evaluate("ap-2", c, T) is None
