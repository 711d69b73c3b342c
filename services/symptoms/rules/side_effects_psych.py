"""Side-effect red flags (SE-*), neuropsychiatric rows: akathisia, activation, withdrawal,
the 'other high-severity' rows, and the universal safety net."""

from __future__ import annotations

from services.symptoms.rules import drugs as dc
from services.symptoms.rules.conditions import Sym, all_of, any_of
from services.symptoms.rules.table import (
    ACTIVATION,
    ACTIVATION_WINDOW,
    CALL_NOW,
    FINISH,
    FINISH_SEVERE,
    SI,
    Row,
    Tier,
    defined,
)

NEUROPSYCHIATRIC: tuple[Row, ...] = (
    Row(
        "SE-AKATHISIA",
        f"akathisia ({defined(SI)})",
        dc.AKATHISIA_CTX,
        (
            Tier("P0", all_of("restlessness", SI), crisis=True, action=CALL_NOW),
            Tier("P1", Sym("restlessness")),
        ),
        "Same-day review: possible akathisia (do not treat as anxiety with a dose increase).",
        "[V] Kalniunas 2021; priorities [D]",
    ),
    Row(
        "SE-ACTIVATION",
        f"antidepressant activation, boxed warning ({defined(ACTIVATION)}; "
        "suicidal thoughts: SE-SUICIDAL)",
        dc.ANTIDEPRESSANT,
        (
            Tier("P1", ACTIVATION, max_age="activation_age_under", recent=ACTIVATION_WINDOW),
            Tier("P2", ACTIVATION, max_age="activation_age_under"),
            Tier("P2", ACTIVATION, recent=ACTIVATION_WINDOW),
        ),
        "Review for activation / mania switch (check bipolar history).",
        "[V] FDA boxed warning 2004/2007; priorities [D]",
    ),
    Row(
        "SE-BZD-WITHDRAWAL",
        "benzodiazepine withdrawal",
        dc.BZD_WITHDRAWAL,
        (
            Tier("P0", any_of("seizure", "hallucinations", "confusion"), action=CALL_NOW),
            Tier(
                "P1",
                any_of(
                    "anxiety_worse", "tremor", "sweating", "insomnia", "panic_attacks", "agitation"
                ),
            ),
        ),
        "Same-day contact: withdrawal after stopping or missing doses; no abrupt stop.",
        "[V] FDA DSC 2020; priorities [D]",
    ),
    Row(
        "SE-BZD-RESP",
        "benzodiazepine over-sedation / respiratory depression",
        dc.BENZODIAZEPINE,
        (Tier("P0", any_of("shallow_breathing", Sym("drowsiness", 3)), action=CALL_NOW),),
        CALL_NOW,
        "[V] FDA DSC 2020",
    ),
    Row(
        "SE-SSRI-DISC",
        f"antidepressant discontinuation ({defined(FINISH, SI)})",
        dc.SSRI_WITHDRAWAL,
        (
            Tier("P1", any_of(all_of(FINISH, SI), FINISH_SEVERE)),
            Tier("P2", FINISH),
        ),
        "Next-business-day contact: discontinuation symptoms; distinguish from relapse.",
        "[V] CMAJ 2017; priorities [D]",
    ),
    Row(
        "SE-MAOI-CRISIS",
        "MAOI hypertensive crisis",
        dc.MAOI,
        (Tier("P0", Sym("severe_headache")),),
        CALL_NOW + " Possible hypertensive crisis.",
        "[U] MAOI labels (hypertensive crisis)",
    ),
    Row(
        "SE-PRIAPISM",
        "priapism",
        dc.PRIAPISM_CTX,
        (Tier("P0", Sym("priapism")),),
        CALL_NOW + " Emergency care for priapism.",
        "[U] trazodone and antipsychotic labels (priapism)",
    ),
    Row(
        "SE-HYPERGLYCAEMIA",
        "hyperglycaemia / DKA on an antipsychotic",
        dc.ANTIPSYCHOTIC,
        (
            Tier("P0", all_of(any_of("extreme_thirst", "polyuria"), "confusion"), action=CALL_NOW),
            Tier("P1", all_of("extreme_thirst", "polyuria")),
        ),
        "Same-day glucose check.",
        "[U] antipsychotic class labelling (hyperglycaemia)",
    ),
    Row(
        "SE-HYPONATRAEMIA",
        "hyponatraemia in older adults",
        dc.SSRI_SNRI,
        (Tier("P1", any_of("confusion", "falls"), min_age="elderly_age"),),
        "Same-day sodium level.",
        "[U] SSRI labels (hyponatraemia, older adults); SNRI added [U]",
    ),
    Row(
        "SE-TD",
        "tardive dyskinesia",
        dc.ANTIPSYCHOTIC,
        (Tier("P3", Sym("involuntary_movements")),),
        "AIMS examination at the next visit.",
        "[U] antipsychotic labels (tardive dyskinesia)",
    ),
    Row(
        "SE-SUICIDAL",
        "suicidal thoughts reported as a side effect",
        dc.UNIVERSAL,
        (
            Tier(
                "P0",
                any_of("self_harm_urges", Sym("suicidal_thoughts", 3)),
                crisis=True,
                action=CALL_NOW + " Crisis text (988/911) sent.",
            ),
            Tier(
                "P1",
                Sym("suicidal_thoughts"),
                crisis=True,
                action="Same-day clinician contact; C-SSRS. Crisis text (988) sent.",
            ),
        ),
        "Clinician contact; C-SSRS.",
        "SE-ACTIVATION row: suicidal thoughts per SYM-CSSRS-TRIAGE; every patient [D]",
    ),
    Row(
        "SE-FAINTING",
        "fainting",
        dc.UNIVERSAL,
        (Tier("P1", Sym("fainting")),),
        "Same-day contact (orthostasis, arrhythmia).",
        "[U] orthostasis / arrhythmia warnings",
        fallback=True,
    ),
    Row(
        "SE-ANY-EMERGENCY",
        "emergency symptoms or crisis language",
        dc.UNIVERSAL,
        (
            Tier(
                "P0",
                any_of(
                    "seizure",
                    "chest_pain",
                    "overdose",
                    "shallow_breathing",
                    Sym("breathlessness", 3),
                ),
            ),
        ),
        CALL_NOW + " Crisis text (988/911) sent.",
        "universal override [D]; free text in rules/emergency.py",
        fallback=True,
    ),
)
