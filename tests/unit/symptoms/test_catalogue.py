"""The rule catalogue is generated from the rules and matches the README."""

from __future__ import annotations

import re

import pytest

from services.symptoms import catalogue
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.rules.vocabulary import SYMPTOMS
from services.symptoms.settings import SymptomsSettings

ISSUE_RULES = {
    "SYM-PHQ9-ITEM9",
    "SYM-PHQ9-BAND",
    "SYM-PHQ9-SEVERE",
    "SYM-PHQ9-WORSEN",
    "SYM-PHQ9-NONRESPONSE",
    "SYM-PHQ2-GATE",
    "SYM-GAD7-SEVERE",
    "SYM-GAD7-WORSEN",
    "SYM-PCL5-WORSEN",
    "SYM-CSSRS-TRIAGE",
    "SE-SEROTONIN",
    "SE-NMS",
    "SE-LITHIUM-TOX",
    "SE-CLOZ-NEUTRO",
    "SE-CLOZ-OTHER",
    "SE-LTG-RASH",
    "SE-VPA",
    "SE-AKATHISIA",
    "SE-ACTIVATION",
    "SE-BZD-WITHDRAWAL",
    "SE-BZD-RESP",
    "SE-SSRI-DISC",
    "SE-TOLERABILITY",
    "SE-ANY-EMERGENCY",
    "APPT-NOSHOW-RISK",
}


def test_every_rule_of_the_issue_is_in_the_catalogue() -> None:
    ids = [r.rule_id for r in catalogue.rules()]
    assert len(ids) == len(set(ids))
    assert set(ids) >= ISSUE_RULES
    for rule_id in ids:
        assert re.fullmatch(r"[A-Z]{2,4}-[A-Z0-9-]{2,40}", rule_id)  # ClinicalAlertRaised.rule_id


def test_thresholds_are_filled_in() -> None:
    text = catalogue.markdown(Thresholds(phq9_severe_min=21))
    assert "PHQ-9 total >= 21" in text
    assert "{" not in text and "}" not in text


def test_the_readme_carries_the_generated_catalogue_and_codes() -> None:
    readme = catalogue.README.read_text()
    assert catalogue.readme_section() in readme, (
        "run: python -m services.symptoms.catalogue --readme"
    )
    for code in SYMPTOMS:
        assert f"`{code}`" in readme


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTM_SYMPTOMS__PHQ9_SEVERE_MIN", "22")
    monkeypatch.setenv("MTM_SYMPTOMS__GAD7_SEVERE_SEVERITY", "P2")
    section = SymptomsSettings().symptoms
    assert (section.phq9_severe_min, section.gad7_severe_severity) == (22, "P2")
    t = section.thresholds()
    assert type(t) is Thresholds and t.phq9_severe_min == 22


def test_defaults_are_the_domain_values() -> None:
    t = Thresholds()
    assert (t.phq2_gate_min, t.phq9_severe_min, t.phq9_worsen_points, t.gad7_severe_min) == (
        3,
        20,
        5,
        15,
    )
    assert (t.pcl5_cutoff, t.pcl5_reliable_change, t.pcl5_meaningful_change) == (33, 5, 10)
    assert (t.activation_age_under, t.activation_start_days, t.noshow_lookback_days) == (25, 60, 30)
