"""The drug-toxicity side-effect rules (SE-*): a firing and a non-firing case for each."""

from __future__ import annotations

import pytest

from services.symptoms.rules import report as side_effect_report
from services.symptoms.rules.side_effects import TOXICITY
from tests.unit.symptoms.support import (
    CLOZ_NEW,
    CLOZ_OLD,
    LI,
    LTG,
    OLZ,
    SSRI,
    Case,
    T,
    case_findings,
    check_case,
    ctx,
    details,
    drug,
    report,
)

CASES = [
    # SE-SEROTONIN
    Case("serotonin P0", "SE-SEROTONIN", "P0", report(["tremor", "sweating", "fever"]), [SSRI]),
    Case("serotonin clonus P1", "SE-SEROTONIN", "P1", report(["clonus"]), [SSRI]),
    Case(
        "serotonin tramadol",
        "SE-SEROTONIN",
        "P1",
        report(["tremor", "agitation"]),
        [drug("tramadol")],
    ),
    Case("serotonin no drug", "SE-SEROTONIN", None, report(["tremor", "sweating"]), [LTG]),
    Case("serotonin tremor only", "SE-SEROTONIN", None, report(["tremor"]), [SSRI]),
    # SE-NMS
    Case("NMS fever+stiffness", "SE-NMS", "P0", report(["fever", "muscle_stiffness"]), [OLZ]),
    Case("NMS stiffness only", "SE-NMS", "P1", report(["muscle_stiffness"]), [OLZ]),
    Case("NMS no antipsychotic", "SE-NMS", None, report(["fever", "muscle_stiffness"]), [LTG]),
    # SE-LITHIUM-TOX
    Case("lithium confusion", "SE-LITHIUM-TOX", "P0", report(["confusion"]), [LI]),
    Case("lithium marked drowsiness", "SE-LITHIUM-TOX", "P0", report({"drowsiness": 3}), [LI]),
    Case("lithium vomiting", "SE-LITHIUM-TOX", "P1", report(["vomiting"]), [LI]),
    Case("vomiting without lithium", "SE-LITHIUM-TOX", None, report(["vomiting"]), [SSRI]),
    # SE-CLOZ-NEUTRO
    Case("clozapine sore throat", "SE-CLOZ-NEUTRO", "P1", report(["sore_throat"]), [CLOZ_OLD]),
    Case("clozapine fever rigors", "SE-CLOZ-NEUTRO", "P0", report(["fever", "rigors"]), [CLOZ_OLD]),
    Case("sore throat on olanzapine", "SE-CLOZ-NEUTRO", None, report(["sore_throat"]), [OLZ]),
    # SE-CLOZ-OTHER
    Case("clozapine constipation", "SE-CLOZ-OTHER", "P2", report(["constipation"]), [CLOZ_OLD]),
    Case(
        "clozapine ileus", "SE-CLOZ-OTHER", "P0", report(["constipation", "vomiting"]), [CLOZ_OLD]
    ),
    Case("clozapine chest pain day 20", "SE-CLOZ-OTHER", "P0", report(["chest_pain"]), [CLOZ_NEW]),
    Case(
        "clozapine palpitations day 200",
        "SE-CLOZ-OTHER",
        "P1",
        report(["racing_heart"]),
        [CLOZ_OLD],
    ),
    Case("constipation without clozapine", "SE-CLOZ-OTHER", None, report(["constipation"]), [OLZ]),
    # SE-LTG-RASH
    Case("lamotrigine rash week 3", "SE-LTG-RASH", "P1", report(["rash_new"]), [LTG]),
    Case("lamotrigine blisters", "SE-LTG-RASH", "P0", report(["rash_blisters"]), [LTG]),
    Case("lamotrigine rash and fever", "SE-LTG-RASH", "P0", report(["rash_new", "fever"]), [LTG]),
    Case("rash without lamotrigine", "SE-LTG-RASH", None, report(["rash_new"]), [SSRI]),
    Case(
        "rash, lamotrigine stopped long ago",
        "SE-LTG-RASH",
        None,
        report(["rash_new"]),
        [drug("lamotrigine", days_on=100, stopped_days=30)],
    ),
    # SE-VPA
    Case("valproate belly pain", "SE-VPA", "P1", report(["abdominal_pain"]), [drug("divalproex")]),
    Case(
        "valproate severe belly pain",
        "SE-VPA",
        "P0",
        report({"abdominal_pain": 3}),
        [drug("divalproex")],
    ),
    Case("belly pain without valproate", "SE-VPA", None, report(["abdominal_pain"]), [LI]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_toxicity_rows(case: Case) -> None:
    check_case(case)


def test_every_row_has_a_firing_and_a_non_firing_case() -> None:
    ids = {r.rule_id for r in TOXICITY}
    assert {c.rule for c in CASES if c.severity} == ids
    assert {c.rule for c in CASES if c.severity is None} == ids


def test_drug_context_evidence_names_the_plan_and_class_not_the_drug() -> None:
    case = Case("ltg", "SE-LTG-RASH", "P1", report(["rash_new"]), [LTG])
    text = details(case_findings(case)["SE-LTG-RASH"])
    assert "plan plan-lamotrigine (anticonvulsant), day 18" in text
    assert "rash_new (severity 2)" in text


def test_common_side_effects_carry_the_clinic_strategy() -> None:
    case = Case(
        "common", "SE-COMMON", "P3", report({"weight_gain": 2, "fatigue": 1, "gi_upset": 2}), [OLZ]
    )
    finding = case_findings(case)["SE-COMMON"]
    assert finding.suggested_action == (
        "weight gain: dietary counselling and exercise plan; fatigue: adjust dose or timing; "
        "GI upset: switch medication or dietary change"
    )
    assert "impact moderate" in details(finding)


def test_a_red_flag_is_not_repeated_as_a_review_item() -> None:
    case = Case("li", "SE-LITHIUM-TOX", "P1", report(["diarrhoea", "weight_gain"]), [LI])
    found = case_findings(case)
    assert set(found) == {"SE-LITHIUM-TOX", "SE-COMMON"}
    assert "diarrhoea" not in details(found["SE-COMMON"])


def test_findings_come_most_urgent_first() -> None:
    c = ctx(drugs=[OLZ])
    found = side_effect_report.evaluate(report(["fever", "muscle_stiffness", "weight_gain"]), c, T)
    assert [f.severity for f in found] == sorted(f.severity for f in found)
