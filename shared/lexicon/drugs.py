"""The drug vocabulary every service reads alike: the classes rules group by, the drugs named
apart from their class, and the drug words that must never appear in an SMS (SMS-CONTENT).

`MedicationPlanStarted.drug_class` carries the class; `drug` the generic name, lower case."""

from __future__ import annotations

ANTIDEPRESSANT_CLASSES = frozenset(
    {"ssri", "snri", "tca", "maoi", "bupropion", "mirtazapine", "trazodone"}
)
PSYCHOTROPIC_CLASSES = frozenset(
    {
        *ANTIDEPRESSANT_CLASSES,
        "benzodiazepine",
        "antipsychotic",
        "lithium",
        "anticonvulsant",
        "stimulant",
    }
)
"""Every class but "other": what ADH-CONSEC-MISS watches."""
SEROTONERGIC_CLASSES = frozenset(
    {"ssri", "snri", "tca", "maoi", "trazodone", "mirtazapine", "lithium"}
)
STOP_SENSITIVE_CLASSES = frozenset({"lithium", "benzodiazepine"})
"""Stopping these without a plan is urgent (ADH-LITHIUM, ADH-BZD-STOP: P1)."""

OTHER_ANTIDEPRESSANTS = frozenset({"vilazodone", "vortioxetine", "nefazodone", "agomelatine"})
"""Antidepressants whose class the clinic feed may send as "other" [U: confirm the feed]."""
SEROTONERGIC_DRUGS = frozenset(
    {
        # Outside the psychotropic classes (SE-SEROTONIN: "triptans, tramadol, linezolid,
        # St John's wort..." [V]; the rest are well-known members [U]).
        "tramadol",
        "linezolid",
        "st johns wort",
        "st john's wort",
        "hypericum",
        "sumatriptan",
        "rizatriptan",
        "zolmitriptan",
        "eletriptan",
        "naratriptan",
        "almotriptan",
        "frovatriptan",
        "buspirone",
        "fentanyl",
        "meperidine",
        "methadone",
        "dextromethorphan",
        "methylene blue",
        *OTHER_ANTIDEPRESSANTS,
    }
)
VALPROATE = frozenset(
    {
        "valproate",
        "valproic acid",
        "divalproex",
        "divalproex sodium",
        "sodium valproate",
        "valproate sodium",
    }
)
LITHIUM = frozenset({"lithium", "lithium carbonate", "lithium citrate"})
LONG_HALF_LIFE = frozenset({"fluoxetine"})
"""Missing a few doses is not stopping (ADH-SSRI-DISC)."""
STOP_SENSITIVE_DRUGS = frozenset({"clozapine", "lamotrigine", *LITHIUM})
"""Stopping these without a plan is urgent (ADH-CLOZ-48H, ADH-LTG-GAP, ADH-LITHIUM: P1)."""

DRUG_WORDS = frozenset(
    {
        # generic and brand names an SMS must never carry
        "lithium",
        "clozapine",
        "clozaril",
        "lamotrigine",
        "lamictal",
        "valproate",
        "divalproex",
        "depakote",
        "sertraline",
        "zoloft",
        "fluoxetine",
        "prozac",
        "paroxetine",
        "paxil",
        "citalopram",
        "escitalopram",
        "lexapro",
        "venlafaxine",
        "effexor",
        "duloxetine",
        "cymbalta",
        "bupropion",
        "wellbutrin",
        "mirtazapine",
        "trazodone",
        "quetiapine",
        "seroquel",
        "olanzapine",
        "zyprexa",
        "risperidone",
        "risperdal",
        "aripiprazole",
        "abilify",
        "haloperidol",
        "lorazepam",
        "ativan",
        "clonazepam",
        "klonopin",
        "alprazolam",
        "xanax",
        "diazepam",
        "valium",
        "methylphenidate",
        "ritalin",
        "adderall",
        "amphetamine",
        # classes, as a patient would read them
        "antidepressant",
        "antipsychotic",
        "benzodiazepine",
        "ssri",
        "snri",
        "stimulant",
        "mood stabilizer",
    }
)
"""Drug and class words that reveal treatment (SMS-CONTENT): never in an SMS by default."""
