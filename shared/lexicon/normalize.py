"""Text as people type it, folded so that tables of phrases can match it: case, accents, curly
quotes, leetspeak ("k1ll"), stretched letters ("stooop"), letters spaced out ("S T O P")."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_NON_WORD = re.compile(r"[^a-z0-9@$]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_DOUBLES = re.compile(r"([a-z])\1+")


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes dropped ("can't" -> "cant"), every run of other
    punctuation or space one space, no edge spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("'", "")
    return " ".join(_NON_WORD.sub(" ", plain).split())


def deleet(word: str) -> str:
    """Digits and symbols read as the letters they stand for, inside a word that has letters
    ("k1ll" -> "kill", "st0p" -> "stop"); a plain number stays a number ("911", "2")."""
    if not any(c.isalpha() for c in word):
        return word
    return word.translate(_LEET)


def squeeze(word: str) -> str:
    """Three or more of one letter read as two ("stoooop" -> "stoop", "diiiie" -> "diie")."""
    return _REPEATS.sub(r"\1\1", word)


def collapse(word: str) -> str:
    """Every run of one letter read as one ("stopp" -> "stop", "kiill" -> "kil"): for comparing
    a typed word with a keyword whose own doubles are collapsed the same way."""
    return _DOUBLES.sub(r"\1", word)


def join_spaced_letters(words: list[str]) -> list[str]:
    """Runs of three or more single letters read as one word ("s t o p" -> "stop")."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if word:
            out.append(word)
    return out


def tokens(text: str) -> list[str]:
    """The words of a text after fold, deleet, squeeze and spaced letters joined."""
    words = [squeeze(deleet(w)) for w in fold(text).split()]
    return join_spaced_letters(words)


def padded(text: str) -> str:
    """`tokens` joined by single spaces with a space at each end, for whole-word phrase search."""
    return f" {' '.join(tokens(text))} "
