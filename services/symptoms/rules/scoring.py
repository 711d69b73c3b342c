"""Scoring (as SYM-PHQ9-BAND): totals only when every item is answered, bands only where
validated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.symptoms.rules.instruments import (
    INSTRUMENTS,
    PCL5_CLUSTERS,
    PCL5_ENDORSED,
)


@dataclass(frozen=True)
class Score:
    """The scored answers of one response."""

    instrument: str
    answers: Mapping[str, int]
    raw: Mapping[str, int]
    invalid: tuple[str, ...]
    complete: bool
    total: int | None
    band: str | None

    def value(self, item: str) -> int | None:
        """The answer as given, even out of range: safety items are read from it."""
        return self.raw.get(item)


def collect(answers: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Answers by item; a duplicated item keeps its highest value (never hide a positive)."""
    out: dict[str, int] = {}
    for item, value in answers:
        out[item] = max(value, out.get(item, value))
    return out


def score(instrument: str, answers: Iterable[tuple[str, int]], *, finished: bool = True) -> Score:
    """Score a response; `finished` False (an abandoned session) never yields a total."""
    spec = INSTRUMENTS[instrument]
    raw = collect(answers)
    valid = {i: v for i, v in raw.items() if i in spec.items and 0 <= v <= spec.max_value}
    invalid = tuple(sorted(set(raw) - set(valid)))
    complete = finished and set(valid) == set(spec.items)
    total = sum(valid.values()) if complete and spec.scored else None
    band = spec.band(total) if total is not None else None
    return Score(
        instrument=instrument,
        answers=valid,
        raw=raw,
        invalid=invalid,
        complete=complete,
        total=total,
        band=band,
    )


def pcl5_dsm_rule(answers: Mapping[str, int]) -> bool:
    """Provisional PTSD by the DSM-5 rule: >=1 B, >=1 C, >=2 D, >=2 E items rated >= 2."""
    for items, needed in PCL5_CLUSTERS.values():
        endorsed = sum(1 for i in items if answers.get(str(i), 0) >= PCL5_ENDORSED)
        if endorsed < needed:
            return False
    return True
