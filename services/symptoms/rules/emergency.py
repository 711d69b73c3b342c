"""SE-ANY-EMERGENCY on free text (the universal override): crisis language to categories.

The phrases are the shared screen's (shared/lexicon/crisis.py), the same the dispatcher reads an
inbound SMS with. Negation ("I don't want to die") is not parsed: when in doubt, escalate
(SE-ANY-EMERGENCY). The categories, never the text, go into the alert."""

from __future__ import annotations

from shared.lexicon.crisis import CATEGORIES, screen

# The categories the rule catalogue lists for this rule (services/symptoms/catalogue.py writes
# them into the README); "risk_language" is the P1 one (report.py grades it P1).
PHRASES = CATEGORIES


def classify(text: str | None) -> tuple[str, ...]:
    """The crisis categories of the text, P0 and P1 alike, in the shared screen's order; () if
    none."""
    match = screen(text)
    return match.categories if match is not None else ()
