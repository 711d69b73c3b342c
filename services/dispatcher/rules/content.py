"""SMS content rules (SMS-CONTENT): GSM-7 only, one segment, no PHI words by default."""

from __future__ import annotations

import itertools
import re

from shared.lexicon.drugs import DRUG_WORDS

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€")
MAX_SEGMENT = 160

# Words that reveal a drug, a diagnosis, an instrument or a psychiatric specialty (SMS-CONTENT).
PHI_WORDS = frozenset(
    {
        *DRUG_WORDS,
        "mg",
        "dose of",
        # diagnoses and specialty
        "depression",
        "depresion",
        "anxiety",
        "ansiedad",
        "bipolar",
        "schizophrenia",
        "esquizofrenia",
        "ptsd",
        "psychosis",
        "psicosis",
        "psychiatric",
        "psiquiatrico",
        "psiquiatria",
        "psychiatry",
        "mental health",
        "salud mental",
        "suicide",
        "suicidio",
        "adhd",
        "ocd",
        # instruments
        "phq-9",
        "phq9",
        "phq-2",
        "phq2",
        "gad-7",
        "gad7",
        "pcl-5",
        "pcl5",
        "c-ssrs",
        "cssrs",
        "questionnaire",
        "cuestionario",
        "depression questionnaire",
        "score",
        "puntaje",
    }
)


def is_gsm7(text: str) -> bool:
    """Every character is in the GSM 03.38 basic set or its extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def gsm7_length(text: str) -> int:
    """Septets the text takes (extension characters count twice)."""
    return len(text) + sum(c in GSM7_EXTENDED for c in text)


def fits_one_segment(text: str) -> bool:
    """GSM-7 and at most 160 septets: one SMS segment."""
    return is_gsm7(text) and gsm7_length(text) <= MAX_SEGMENT


def phi_words(text: str) -> set[str]:
    """The PHI words a text contains (whole words or two-word phrases, case-insensitive)."""
    lowered = text.lower()
    tokens = re.findall(r"[a-z0-9ñ]+(?:-[a-z0-9]+)?", lowered)
    found = {t for t in tokens if t in PHI_WORDS}
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
    found |= {p for p in pairs if p in PHI_WORDS}
    return found
