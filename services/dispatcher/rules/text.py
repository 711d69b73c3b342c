"""Normalising what people text: case, accents, curly quotes, spacing, trailing punctuation."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


def normalize(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces, no edge punctuation."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00b4", "'")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _EDGE.sub("", _SPACES.sub(" ", plain).strip())


def words(text: str) -> list[str]:
    """The normalised text split into words (apostrophes dropped: "can't" -> "cant")."""
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)?", normalize(text).replace("'", ""))
