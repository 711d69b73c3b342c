"""Symptom conditions as data: a code at a minimum severity, any of, all of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.symptoms.rules.vocabulary import SYMPTOMS


@dataclass(frozen=True)
class Sym:
    """One symptom code reported at `min_severity` or more (1 mild .. 3 severe)."""

    code: str
    min_severity: int = 1

    def __post_init__(self) -> None:
        if self.code not in SYMPTOMS:
            raise ValueError(f"unknown symptom code {self.code!r}")

    def match(self, effects: Mapping[str, int]) -> frozenset[str] | None:
        return frozenset({self.code}) if effects.get(self.code, 0) >= self.min_severity else None

    def describe(self) -> str:
        return (
            self.code if self.min_severity <= 1 else f"{self.code} (severity {self.min_severity})"
        )


@dataclass(frozen=True)
class AnyOf:
    """At least one part matches; cites every part that matches."""

    parts: tuple[Cond, ...]
    label: str | None = None

    def match(self, effects: Mapping[str, int]) -> frozenset[str] | None:
        hits = [m for p in self.parts if (m := p.match(effects)) is not None]
        return frozenset().union(*hits) if hits else None

    def describe(self) -> str:
        if self.label:
            return self.label
        inner = " or ".join(p.describe() for p in self.parts)
        return inner if len(self.parts) == 1 else f"({inner})"


@dataclass(frozen=True)
class AllOf:
    """Every part matches."""

    parts: tuple[Cond, ...]

    def match(self, effects: Mapping[str, int]) -> frozenset[str] | None:
        hits = [p.match(effects) for p in self.parts]
        if any(h is None for h in hits):
            return None
        return frozenset().union(*(h for h in hits if h is not None))

    def describe(self) -> str:
        return "(" + " + ".join(p.describe() for p in self.parts) + ")"


Cond = Sym | AnyOf | AllOf


def _cond(part: Cond | str) -> Cond:
    return Sym(part) if isinstance(part, str) else part


def any_of(*parts: Cond | str, label: str | None = None) -> AnyOf:
    return AnyOf(tuple(_cond(p) for p in parts), label)


def codes(cond: Cond) -> tuple[str, ...]:
    """Every code a condition mentions, in order, once."""
    if isinstance(cond, Sym):
        return (cond.code,)
    return tuple(dict.fromkeys(c for part in cond.parts for c in codes(part)))


def all_of(*parts: Cond | str) -> AllOf:
    return AllOf(tuple(_cond(p) for p in parts))
