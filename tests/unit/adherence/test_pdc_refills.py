"""PDC per the PQA method with the test vectors of domain 3.1, and refill timing."""

from __future__ import annotations

from datetime import date

import pytest

from services.adherence.rules.pdc import covered_days, pdc
from services.adherence.rules.refills import fills_for_plan, refill_schedule, run_out
from tests.unit.adherence.support import fill, plan

Q1 = (date(2026, 1, 1), date(2026, 3, 31))  # 90 days


def d(month: int, day: int) -> date:
    return date(2026, month, day)


@pytest.mark.parametrize(
    ("fills", "covered", "ratio", "adherent"),
    [
        ([(d(1, 1), 30), (d(1, 31), 30), (d(3, 2), 30)], 90, 1.0, True),
        ([(d(1, 1), 30), (d(1, 28), 30), (d(3, 1), 30)], 90, 1.0, True),  # early refill shifted
        ([(d(1, 1), 30), (d(2, 15), 30), (d(3, 31), 30)], 61, 61 / 90, False),  # truncated
        ([(d(1, 1), 90)], None, None, None),  # one fill: not in the denominator
        ([(d(1, 1), 30), (d(1, 1), 30)], None, None, None),  # two fills, one date of service
        ([(d(1, 15), 30), (d(2, 14), 30)], 60, 60 / 76, False),  # period starts at the IPSD
        ([(d(1, 1), 72), (d(3, 14), 30)], 90, 1.0, True),
        ([(d(1, 1), 30), (d(2, 1), 42)], 72, 0.8, True),  # exactly 80 % is adherent
        ([(d(1, 1), 30), (d(2, 1), 41)], 71, 71 / 90, False),  # 78.9 %: the cliff
    ],
)
def test_pdc_vectors(
    fills: list[tuple[date, int]],
    covered: int | None,
    ratio: float | None,
    adherent: bool | None,
) -> None:
    result = pdc([fill(day, days) for day, days in fills], *Q1)
    assert result.pdc == (pytest.approx(ratio) if ratio is not None else None)
    assert result.adherent is adherent
    if covered is not None:
        assert result.covered == covered


def test_domain_vector_three_rounds_to_67_8_percent() -> None:
    result = pdc([fill(d(1, 1), 30), fill(d(2, 15), 30), fill(d(3, 31), 30)], *Q1)
    assert round(result.pdc * 100, 1) == 67.8  # type: ignore[operator]
    assert (result.ipsd, result.days) == (d(1, 1), 90)


def test_a_class_counts_a_day_covered_by_any_of_its_drugs_and_shifts_per_drug() -> None:
    fills = [fill(d(1, 1), 30, "sertraline"), fill(d(1, 20), 30, "escitalopram")]
    # different drugs are not shifted against each other: the overlap is covered once
    assert len(covered_days(fills)) == 49


def test_fills_before_the_period_shift_fills_inside_it() -> None:
    fills = [fill(date(2025, 12, 20), 30), fill(d(1, 10), 30), fill(d(2, 20), 30)]
    result = pdc(fills, *Q1)
    # Dec supply covers to 01-18, the 01-10 fill is carried to 01-19..02-17, then a two-day
    # gap, then 02-20..03-21: from the IPSD (01-10) that is 39 + 30 days of 81
    assert (result.ipsd, result.days, result.covered) == (d(1, 10), 81, 69)


@pytest.mark.parametrize(
    ("fills", "today", "run_out_on", "remind_on", "lapse_on"),
    [
        ([(d(3, 10), 5)], d(3, 10), d(3, 15), d(3, 10), d(3, 22)),  # ends in 5 days: today
        ([(d(3, 1), 30)], d(3, 10), d(3, 31), d(3, 26), d(4, 7)),
        ([(d(3, 1), 30), (d(3, 25), 30)], d(3, 26), d(4, 30), d(4, 25), d(5, 7)),  # carried
        ([(d(3, 1), 3)], d(3, 10), d(3, 4), d(3, 10), d(3, 11)),  # already ran out
    ],
)
def test_refill_schedule(
    fills: list[tuple[date, int]], today: date, run_out_on: date, remind_on: date, lapse_on: date
) -> None:
    supply = refill_schedule(
        [fill(day, n) for day, n in fills], lead_days=5, grace_days=7, today=today
    )
    assert supply is not None
    assert (supply.run_out, supply.remind_on, supply.lapse_on) == (run_out_on, remind_on, lapse_on)


def test_no_fills_no_refill_schedule() -> None:
    assert refill_schedule([], lead_days=5, grace_days=7, today=d(3, 1)) is None
    assert run_out([]) is None


def test_fills_belong_to_a_plan_by_id_or_by_drug() -> None:
    p = plan(drug="sertraline")
    mine = fill(d(1, 1), 30, plan_id="plan-1")
    by_drug = fill(d(1, 2), 30)
    other_plan = fill(d(1, 3), 30, plan_id="plan-2")
    other_drug = fill(d(1, 4), 30, drug="fluoxetine")
    assert fills_for_plan(p, [mine, by_drug, other_plan, other_drug]) == [mine, by_drug]
