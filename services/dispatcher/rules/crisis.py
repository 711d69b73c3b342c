"""Crisis language (domain 2.3 SE-ANY-EMERGENCY): any match is a P0, even inside an opt-out."""

from __future__ import annotations

from services.dispatcher.rules.text import words

RULE_ID = "SE-ANY-EMERGENCY"

PHRASES = (
    # domain 2.3
    "cant breathe",
    "cannot breathe",
    "chest pain",
    "seizure",
    "passed out",
    "overdose",
    "took all my pills",
    "want to die",
    "kill myself",
    # variants a person in distress types
    "cant breath",
    "seizures",
    "having a seizure",
    "overdosed",
    "took all of my pills",
    "wanna die",
    "pain in my chest",
    "chest hurts",
    "want to kill myself",
    "killing myself",
    "end my life",
    "suicidal",
    # Spanish
    "no puedo respirar",
    "dolor de pecho",
    "dolor en el pecho",
    "convulsion",
    "convulsiones",
    "me desmaye",
    "sobredosis",
    "me tome todas las pastillas",
    "quiero morir",
    "me quiero morir",
    "matarme",
    "quitarme la vida",
)


def screen(text: str) -> str | None:
    """The first crisis phrase found in the text (whole words), or None."""
    spaced = f" {' '.join(words(text))} "
    for phrase in PHRASES:
        if f" {phrase} " in spaced:
            return phrase
    return None
