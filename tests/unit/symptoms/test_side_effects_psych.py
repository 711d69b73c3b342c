"""Neuropsychiatric side-effect rules (SE-*), the safety net and the review items: a firing and a
non-firing case for each."""

from __future__ import annotations

import pytest

from services.symptoms.rules.side_effects_psych import NEUROPSYCHIATRIC
from tests.unit.symptoms.support import (
    CLOZ_OLD,
    LI,
    LTG,
    LZP,
    OLZ,
    SSRI,
    Case,
    check_case,
    drug,
    missed,
    report,
)

CASES = [
    # SE-AKATHISIA
    Case("akathisia", "SE-AKATHISIA", "P1", report(["restlessness"]), [drug("aripiprazole")]),
    Case(
        "akathisia with SI",
        "SE-AKATHISIA",
        "P0",
        report(["restlessness", "suicidal_thoughts"]),
        [drug("aripiprazole")],
    ),
    Case("restlessness on lamotrigine", "SE-AKATHISIA", None, report(["restlessness"]), [LTG]),
    # SE-ACTIVATION
    Case(
        "activation under 25, early",
        "SE-ACTIVATION",
        "P1",
        report(["agitation"]),
        [drug("sertraline", days_on=20)],
        age=20,
    ),
    Case(
        "activation age unknown, early",
        "SE-ACTIVATION",
        "P1",
        report(["agitation"]),
        [drug("sertraline", days_on=20)],
        age=None,
    ),
    Case(
        "activation under 25, after dose change",
        "SE-ACTIVATION",
        "P1",
        report(["insomnia"]),
        [drug("sertraline", days_on=300, changed_days=10)],
        age=22,
    ),
    Case(
        "activation under 25, late",
        "SE-ACTIVATION",
        "P2",
        report(["agitation"]),
        [drug("sertraline", days_on=200)],
        age=20,
    ),
    Case(
        "activation adult, early",
        "SE-ACTIVATION",
        "P2",
        report(["agitation"]),
        [drug("sertraline", days_on=20)],
        age=40,
    ),
    Case(
        "activation adult, late",
        "SE-ACTIVATION",
        None,
        report(["agitation"]),
        [drug("sertraline", days_on=200)],
        age=40,
    ),
    Case(
        "agitation without antidepressant",
        "SE-ACTIVATION",
        None,
        report(["agitation"]),
        [LI],
        age=20,
    ),
    # SE-BZD-WITHDRAWAL
    Case(
        "benzo stopped, tremor",
        "SE-BZD-WITHDRAWAL",
        "P1",
        report(["tremor"]),
        [drug("lorazepam", days_on=90, stopped_days=3)],
    ),
    Case(
        "benzo stopped, seizure",
        "SE-BZD-WITHDRAWAL",
        "P0",
        report(["seizure"]),
        [drug("lorazepam", days_on=90, stopped_days=3)],
    ),
    Case(
        "benzo reported stopped",
        "SE-BZD-WITHDRAWAL",
        "P1",
        report(["anxiety_worse"], stopped=True),
        [LZP],
    ),
    Case(
        "benzo doses missed",
        "SE-BZD-WITHDRAWAL",
        "P1",
        report(["sweating"]),
        [LZP],
        doses=missed("plan-lorazepam", 1, 2),
    ),
    Case("benzo taken, tremor", "SE-BZD-WITHDRAWAL", None, report(["tremor"]), [LZP]),
    # SE-BZD-RESP
    Case("benzo shallow breathing", "SE-BZD-RESP", "P0", report(["shallow_breathing"]), [LZP]),
    Case("shallow breathing, no benzo", "SE-BZD-RESP", None, report(["shallow_breathing"]), [SSRI]),
    # SE-SSRI-DISC
    Case(
        "SSRI stopped, brain zaps",
        "SE-SSRI-DISC",
        "P2",
        report(["brain_zaps"]),
        [drug("paroxetine", days_on=90, stopped_days=3)],
    ),
    Case(
        "SSRI stopped, severe",
        "SE-SSRI-DISC",
        "P1",
        report({"dizziness": 3}),
        [drug("paroxetine", days_on=90, stopped_days=3)],
    ),
    Case(
        "SSRI doses missed",
        "SE-SSRI-DISC",
        "P2",
        report(["brain_zaps"]),
        [drug("venlafaxine")],
        doses=missed("plan-venlafaxine", 1, 2),
    ),
    Case("SSRI taken", "SE-SSRI-DISC", None, report(["brain_zaps"]), [SSRI]),
    Case(
        "fluoxetine doses missed",
        "SE-SSRI-DISC",
        None,
        report(["brain_zaps"]),
        [drug("fluoxetine")],
        doses=missed("plan-fluoxetine", 1, 2),
    ),
    # other high-severity rows
    Case(
        "MAOI headache", "SE-MAOI-CRISIS", "P0", report(["severe_headache"]), [drug("phenelzine")]
    ),
    Case("headache on SSRI", "SE-MAOI-CRISIS", None, report(["severe_headache"]), [SSRI]),
    Case("priapism on trazodone", "SE-PRIAPISM", "P0", report(["priapism"]), [drug("trazodone")]),
    Case("priapism on lithium", "SE-PRIAPISM", None, report(["priapism"]), [LI]),
    Case(
        "thirst and urination",
        "SE-HYPERGLYCAEMIA",
        "P1",
        report(["extreme_thirst", "polyuria"]),
        [OLZ],
    ),
    Case(
        "thirst, urination, confusion",
        "SE-HYPERGLYCAEMIA",
        "P0",
        report(["extreme_thirst", "polyuria", "confusion"]),
        [OLZ],
    ),
    Case(
        "thirst on SSRI", "SE-HYPERGLYCAEMIA", None, report(["extreme_thirst", "polyuria"]), [SSRI]
    ),
    Case("elderly confusion on SSRI", "SE-HYPONATRAEMIA", "P1", report(["falls"]), [SSRI], age=70),
    Case("adult confusion on SSRI", "SE-HYPONATRAEMIA", None, report(["falls"]), [SSRI], age=40),
    Case(
        "tardive dyskinesia",
        "SE-TD",
        "P3",
        report(["involuntary_movements"]),
        [drug("haloperidol")],
    ),
    Case("movements on SSRI", "SE-TD", None, report(["involuntary_movements"]), [SSRI]),
    # universal rows
    Case("suicidal thoughts", "SE-SUICIDAL", "P1", report(["suicidal_thoughts"])),
    Case("self-harm urges", "SE-SUICIDAL", "P0", report(["self_harm_urges"])),
    Case("no suicidal thoughts", "SE-SUICIDAL", None, report(["insomnia"])),
    Case("fainting", "SE-FAINTING", "P1", report(["fainting"])),
    Case("fainting cited by clozapine row", "SE-FAINTING", None, report(["fainting"]), [CLOZ_OLD]),
    Case("structured seizure", "SE-ANY-EMERGENCY", "P0", report(["seizure"])),
    Case(
        "STOP I want to die", "SE-ANY-EMERGENCY", "P0", report([], free_text="STOP I want to die")
    ),
    Case(
        "took all my pills",
        "SE-ANY-EMERGENCY",
        "P0",
        report(["nausea"], free_text="i took all my pills an hour ago"),
    ),
    Case(
        "calm free text",
        "SE-ANY-EMERGENCY",
        None,
        report(["fatigue"], free_text="feeling a bit tired, diet is fine"),
    ),
    Case("seizure on lithium cited at P0", "SE-ANY-EMERGENCY", None, report(["seizure"]), [LI]),
    # review items
    Case("severe side effect", "SE-TOLERABILITY", "P2", report({"sexual_dysfunction": 3}), [SSRI]),
    Case("stopped lithium", "SE-TOLERABILITY", "P1", report(["tremor"], stopped=True), [LI]),
    Case("stopped sertraline", "SE-TOLERABILITY", "P2", report(["nausea"], stopped=True), [SSRI]),
    Case("mild, still taking", "SE-TOLERABILITY", None, report(["nausea"]), [SSRI]),
    Case("weight gain", "SE-COMMON", "P3", report(["weight_gain"]), [OLZ]),
    Case("diarrhoea on lithium", "SE-COMMON", None, report(["diarrhoea"]), [LI]),
    Case("unlisted effect", "SE-OTHER", "P3", report(["sexual_dysfunction", "hair_loss"]), [SSRI]),
    Case("weight gain is not other", "SE-OTHER", None, report(["weight_gain"]), [OLZ]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_neuropsychiatric_rows_and_review_items(case: Case) -> None:
    check_case(case)


def test_every_row_has_a_firing_and_a_non_firing_case() -> None:
    ids = {r.rule_id for r in NEUROPSYCHIATRIC} | {"SE-TOLERABILITY", "SE-COMMON", "SE-OTHER"}
    assert {c.rule for c in CASES if c.severity} == ids
    assert {c.rule for c in CASES if c.severity is None} == ids
