"""Proportion of Days Covered, PQA method: early refills of the same drug are
shifted to the day after the earlier supply ends, supply past the period end is truncated, the
treatment period runs from the first fill in the period, and two fills are required."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.adherence.rules.model import Fill

ONE_DAY = timedelta(days=1)


def shifted_supply(fills: Iterable[Fill]) -> dict[str, list[tuple[date, date]]]:
    """Per drug, the (first, last) day each fill covers once early refills are carried forward."""
    by_drug: dict[str, list[Fill]] = defaultdict(list)
    for fill in fills:
        by_drug[fill.drug].append(fill)
    spans: dict[str, list[tuple[date, date]]] = {}
    for drug, drug_fills in by_drug.items():
        next_free: date | None = None
        spans[drug] = []
        for fill in sorted(drug_fills, key=lambda f: (f.fill_date, f.fill_id)):
            start = max(fill.fill_date, next_free or fill.fill_date)
            end = start + timedelta(days=fill.days_supply - 1)
            spans[drug].append((start, end))
            next_free = end + ONE_DAY
    return spans


def covered_days(fills: Iterable[Fill]) -> set[date]:
    """Days covered by at least one drug of the fills (a class: any of its drugs)."""
    days: set[date] = set()
    for spans in shifted_supply(fills).values():
        for start, end in spans:
            day = start
            while day <= end:
                days.add(day)
                day += ONE_DAY
    return days


@dataclass(frozen=True)
class PdcResult:
    """PDC over a measurement period; `pdc` is None when the patient is not in the denominator."""

    period_start: date
    period_end: date
    fills_in_period: int
    ipsd: date | None = None
    days: int = 0
    covered: int = 0
    pdc: float | None = None
    adherent: bool | None = None

    @property
    def eligible(self) -> bool:
        return self.pdc is not None


def pdc(
    fills: Iterable[Fill], period_start: date, period_end: date, *, threshold: float = 0.8
) -> PdcResult:
    """PDC of fills (one drug class) over period_start..period_end inclusive."""
    all_fills = list(fills)
    in_period = [f for f in all_fills if period_start <= f.fill_date <= period_end]
    base = PdcResult(period_start, period_end, len(in_period))
    if len({f.fill_date for f in in_period}) < 2:
        return base  # PQA: at least two fills on different dates of service
    ipsd = min(f.fill_date for f in in_period)
    days = (period_end - ipsd).days + 1
    covered = sum(1 for d in covered_days(all_fills) if ipsd <= d <= period_end)
    ratio = covered / days
    return PdcResult(
        period_start, period_end, len(in_period), ipsd, days, covered, ratio, ratio >= threshold
    )
