"""Check-in answers read in the light of the item asked: one number on a 0-3 scale, or the
side-effect checklist's numbers. Anything else is unclear (None) and gets asked again once.
Numeric answers are never keywords (SMS-KEYWORDS): keywords are read before this, on words."""

from __future__ import annotations

from services.dispatcher.rules.text import words

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "cero": 0,
    "uno": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
}
# The answer labels themselves, as a patient may copy them from the prompt.
FREQUENCY_WORDS = {
    "not at all": 0,
    "never": 0,
    "several days": 1,
    "more than half the days": 2,
    "over half the days": 2,
    "nearly every day": 3,
    "every day": 3,
    "nunca": 0,
    "ningun dia": 0,
    "varios dias": 1,
    "mas de la mitad de los dias": 2,
    "casi todos los dias": 3,
}
SEVERITY_WORDS = {
    "none": 0,
    "mild": 1,
    "moderate": 2,
    "severe": 3,
    "nada": 0,
    "leve": 1,
    "moderado": 2,
    "moderada": 2,
    "grave": 3,
    "severo": 3,
    "severa": 3,
}
NONE_CHOSEN = frozenset({"none", "no", "nothing", "nada", "ninguno", "ninguna", "ningun"})
CONNECTORS = frozenset({"and", "y", "e", "plus", "also", "tambien"})


def _number(token: str) -> int | None:
    """One digit or one number word; "22" or "02" is no number (which did they mean?)."""
    if token.isdigit():
        return int(token) if len(token) == 1 else None
    return NUMBER_WORDS.get(token)


def scale(text: str, *, max_value: int = 3, labels: str = "frequency") -> int | None:
    """One answer from 0 to `max_value`: "2", " 2 ", "2.", "two", "dos", "nearly every day"."""
    tokens = words(text)
    phrase = " ".join(tokens)
    named = (SEVERITY_WORDS if labels == "severity" else FREQUENCY_WORDS).get(phrase)
    value = named if named is not None else (_number(tokens[0]) if len(tokens) == 1 else None)
    return value if value is not None and 0 <= value <= max_value else None


def checklist(text: str, *, max_option: int = 7) -> tuple[int, ...] | None:
    """The options chosen ("1 6", "1,6", "6 and 1", "0" or "none" = nothing); None if unclear
    (an unknown option, a run of digits such as "16", or 0 next to an option)."""
    tokens = [t for t in words(text) if t not in CONNECTORS]
    if not tokens:
        return None
    if " ".join(tokens) in NONE_CHOSEN:
        return ()
    numbers = [_number(t) for t in tokens]
    if any(n is None or n > max_option for n in numbers):
        return None
    chosen = {n for n in numbers if n is not None}
    if 0 in chosen:
        return () if chosen == {0} else None
    return tuple(sorted(chosen))
