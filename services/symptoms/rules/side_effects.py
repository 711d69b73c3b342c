"""The side-effect red-flag table (SE-*) as data: drug context, symptom tiers, priority, action.

Drug-toxicity rows live here; the neuropsychiatric rows and the safety net in
side_effects_psych.py. TABLE is the whole table, in catalogue order."""

from __future__ import annotations

from services.symptoms.rules import drugs as dc
from services.symptoms.rules.conditions import Sym, all_of, any_of
from services.symptoms.rules.side_effects_psych import NEUROPSYCHIATRIC
from services.symptoms.rules.table import AUTONOMIC, CALL_NOW, NEURO, Row, Tier, defined

TOXICITY: tuple[Row, ...] = (
    Row(
        "SE-SEROTONIN",
        f"serotonin toxicity ({defined(NEURO, AUTONOMIC)})",
        dc.SEROTONERGIC,
        (
            Tier("P0", all_of(NEURO, AUTONOMIC, any_of("fever", "muscle_stiffness", "confusion"))),
            Tier("P1", any_of("clonus", all_of(NEURO, AUTONOMIC))),
        ),
        "Same-day assessment for serotonin toxicity; review recent dose changes and co-medication.",
        "[V] Hunter criteria as self-reportable combinations, priorities [D]",
    ),
    Row(
        "SE-NMS",
        "neuroleptic malignant syndrome",
        dc.ANTIPSYCHOTIC,
        (
            Tier(
                "P0",
                all_of("fever", any_of("muscle_stiffness", "confusion")),
                action=CALL_NOW + " Possible NMS: emergency evaluation.",
            ),
            Tier("P1", Sym("muscle_stiffness")),
        ),
        "Same-day assessment: rigidity on an antipsychotic (NMS / EPS).",
        "[V] NMS tetrad, priorities [D]",
    ),
    Row(
        "SE-LITHIUM-TOX",
        "lithium toxicity",
        dc.LITHIUM_CTX,
        (
            Tier(
                "P0",
                any_of("confusion", Sym("drowsiness", 3), "ataxia", "slurred_speech", "seizure"),
                action=CALL_NOW + " Possible lithium toxicity: urgent level and evaluation.",
            ),
            Tier(
                "P1",
                any_of(
                    "vomiting",
                    "diarrhoea",
                    "coarse_tremor",
                    "drowsiness",
                    "muscle_weakness",
                    "blurred_vision",
                    "tinnitus",
                    "polyuria",
                ),
            ),
        ),
        "Same-day contact: lithium level; advise per clinician (label: stop and call if these "
        "occur).",
        "[V] lithium FDA label (toxicity), priorities [D]",
    ),
    Row(
        "SE-CLOZ-NEUTRO",
        "clozapine infection / neutropenia",
        dc.CLOZAPINE,
        (
            Tier(
                "P0",
                all_of("fever", any_of("rigors", "feeling_very_unwell")),
                action=CALL_NOW + " Same-day ANC and infection work-up.",
            ),
            Tier(
                "P1", any_of("fever", "sore_throat", "flu_like", "mouth_sores", "infection_signs")
            ),
        ),
        "Same-day ANC and clinical review.",
        "[V] Clozaril PI (neutropenia), priorities [D]",
    ),
    Row(
        "SE-CLOZ-OTHER",
        "clozapine: myocarditis, ileus, seizure, orthostasis",
        dc.CLOZAPINE,
        (
            Tier(
                "P0",
                any_of("chest_pain", "racing_heart", "breathlessness", "fever"),
                recent=("clozapine_myocarditis_days", None),
                action=CALL_NOW + " Possible myocarditis.",
            ),
            Tier(
                "P0",
                any_of(
                    "seizure",
                    Sym("abdominal_pain", 3),
                    all_of("constipation", any_of("vomiting", "abdominal_pain", "bloating")),
                ),
                action=CALL_NOW + " Possible ileus or seizure.",
            ),
            Tier(
                "P1",
                any_of(
                    "nausea",
                    "vomiting",
                    "bloating",
                    "abdominal_pain",
                    "fainting",
                    "chest_pain",
                    "racing_heart",
                    "breathlessness",
                ),
            ),
            Tier("P2", Sym("constipation")),
        ),
        "Clinical review of clozapine adverse effects (bowel, heart, blood pressure).",
        "[V] FDA DSC 2020 (constipation); myocarditis timing [U]; priorities [D]",
    ),
    Row(
        "SE-LTG-RASH",
        "lamotrigine rash (SJS/TEN)",
        dc.LAMOTRIGINE,
        (
            Tier(
                "P0",
                any_of(
                    "rash_blisters",
                    "skin_peeling",
                    "mouth_sores",
                    "eye_sores",
                    all_of("rash_new", "fever"),
                ),
                action=CALL_NOW + " Patient should seek care now; prescriber decides on stopping.",
            ),
            Tier(
                "P1",
                any_of("rash_new", "hives", "facial_swelling", all_of("fever", "swollen_glands")),
            ),
        ),
        "Contact the patient today; prescriber decides whether to stop (do not advise stopping by "
        "text).",
        "[V] lamotrigine boxed warning, Med Guide; priorities [D]",
    ),
    Row(
        "SE-VPA",
        "valproate hepatotoxicity / pancreatitis",
        dc.VALPROATE_CTX,
        (
            Tier(
                "P0",
                any_of(Sym("abdominal_pain", 3), all_of("jaundice", "confusion")),
                action=CALL_NOW + " Possible pancreatitis / hepatotoxicity.",
            ),
            Tier(
                "P1",
                any_of(
                    "abdominal_pain",
                    "nausea",
                    "vomiting",
                    "loss_of_appetite",
                    "jaundice",
                    "dark_urine",
                    "facial_swelling",
                    "confusion",
                ),
            ),
        ),
        "Same-day evaluation (liver tests, lipase, ammonia as indicated).",
        "[V] valproate label, priorities [D]",
    ),
)

TABLE: tuple[Row, ...] = TOXICITY + NEUROPSYCHIATRIC
