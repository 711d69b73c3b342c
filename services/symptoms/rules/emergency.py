"""SE-ANY-EMERGENCY on free text (domain §2.3 universal override): crisis language to categories.

Negation ("I don't want to die") is not parsed: when in doubt, escalate (domain §2.3). The
categories, never the text, go into the alert."""

from __future__ import annotations

import re
import unicodedata

PHRASES: dict[str, tuple[str, ...]] = {
    "self_harm": (
        "want to die",
        "wanna die",
        "want to be dead",
        "kill myself",
        "killing myself",
        "end my life",
        "take my life",
        "suicide",
        "suicidal",
        "hurt myself",
        "better off dead",
        "quiero morir",
        "me quiero morir",
        "matarme",
        "quitarme la vida",
        "suicidarme",
    ),
    "overdose": (
        "overdose",
        "overdosed",
        "took all my pills",
        "took all of my pills",
        "took all my meds",
        "took too many pills",
        "sobredosis",
        "me tome todas las pastillas",
    ),
    "breathing": (
        "cant breathe",
        "cant breath",
        "cannot breathe",
        "can not breathe",
        "not breathing",
        "no puedo respirar",
    ),
    "chest_pain": ("chest pain", "dolor de pecho", "dolor en el pecho"),
    "seizure": ("seizure", "seizures", "convulsion", "convulsiones"),
    "collapse": ("passed out", "me desmaye"),
}


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, punctuation to spaces, padded with spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = re.sub(r"['`\u2019\u00b4]", "", plain)
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split()) + " "


def classify(text: str | None) -> tuple[str, ...]:
    """The crisis categories whose phrases occur in the text as whole words, in table order."""
    if not text:
        return ()
    spaced = normalise(text)
    return tuple(
        category
        for category, phrases in PHRASES.items()
        if any(f" {phrase} " in spaced for phrase in phrases)
    )
