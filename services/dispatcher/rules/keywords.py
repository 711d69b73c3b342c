"""SMS keywords (domain 5.2 SMS-KEYWORDS), checked before any other reading of a reply."""

from __future__ import annotations

from typing import Literal

from services.dispatcher.rules.text import words

Keyword = Literal["opt_out", "opt_in", "help"]

# Carrier, FCC 2024 and AWS defaults, plus Spanish: whole message only.
OPT_OUT_WHOLE = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "opt-out",
        "opt out",
        "remove",
        "arret",
        "td",
        "stop all",
        "baja",
        "alto",
        "parar",
        "cancelar",
        "no mas",
        "basta",
    }
)
# Unambiguous words that revoke even with more text after them ("STOP please", "STOP I...").
OPT_OUT_LEADING = frozenset({"stop", "stopall", "unsubscribe", "revoke", "optout", "opt-out"})
POLITE = frozenset({"please", "pls", "plz", "just", "now", "ok", "okay", "por", "favor"})
# Plain-language revocations a reasonable person would read as "stop texting me" (FCC 2024).
OPT_OUT_PHRASES = (
    "no more texts",
    "no more text",
    "no more messages",
    "no more reminders",
    "stop texting",
    "stop sending",
    "stop messaging",
    "leave me alone",
    "dont text",
    "do not text",
    "unsubscribe me",
    "take me off",
    "remove me",
    "opt me out",
    "no mas mensajes",
    "no mas textos",
    "no me manden",
    "no me envien",
    "dejen de enviar",
)
OPT_IN = frozenset({"start", "unstop", "subscribe", "resume"})
HELP = frozenset({"help", "info", "ayuda"})


def classify_keyword(text: str, *, opted_out: bool) -> Keyword | None:
    """Opt-out first, then opt-in (YES only from an opted-out number), then HELP."""
    tokens = words(text)
    if not tokens:
        return None
    whole = " ".join(tokens)
    if whole in OPT_OUT_WHOLE or tokens[0] in OPT_OUT_LEADING or whole.startswith("opt out "):
        return "opt_out"
    if tokens[-1] in OPT_OUT_LEADING and all(t in POLITE for t in tokens[:-1]):
        return "opt_out"
    spaced = f" {whole} "
    if any(f" {phrase} " in spaced for phrase in OPT_OUT_PHRASES):
        return "opt_out"
    if whole in OPT_IN or (opted_out and whole in {"yes", "si"}):
        return "opt_in"
    if whole in HELP:
        return "help"
    return None
