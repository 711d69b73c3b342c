"""Adherence-level and supply alert rules (domain 3.3) at and just below their thresholds:
antipsychotic adherence, new starts, no refill, data gap; and what every rule leaves alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from services.adherence.rules.alerts import evaluate_patient, evaluate_plan, gap_lengths
from services.adherence.rules.model import Patient
from services.adherence.rules.patterns import PatientFacts
from services.adherence.rules.pdc import pdc
from services.adherence.rules.refills import refill_schedule
from tests.unit.adherence.support import (
    APR1,
    Drug,
    M,
    T,
    after_cutoff,
    facts,
    fill,
    fired,
    history,
    plan,
    utc,
)

# ADH-ANTIPSYCH ---------------------------------------------------------------------------

AP: Drug = {"drug": "quetiapine", "drug_class": "antipsychotic"}
LI: Drug = {"drug": "lithium", "drug_class": "lithium"}


@pytest.mark.parametrize(
    ("statuses", "fires"),
    [
        (["taken_on_time"] * 7 + ["missed"] * 3, True),  # 70 %
        (["taken_on_time"] * 8 + ["missed"] * 2, False),  # 80 %
        (["missed"] * 6, False),  # fewer doses than the minimum
        (["taken_on_time"] * 3 + ["missed"] * 4, True),  # 7 doses, 43 %
    ],
)
def test_antipsychotic_dose_adherence(statuses: list[str], fires: bool) -> None:
    p = plan(start=APR1, **AP)
    doses = history(p, APR1, statuses)
    now = after_cutoff(doses, len(statuses) - 1)
    finding = fired(facts(p, doses, now), now, "ADH-ANTIPSYCH")
    assert (finding is not None) is fires
    if finding is not None:
        assert finding.episode is None  # a ratio: the caller keeps the episode open


def test_antipsychotic_pdc_below_80_percent_and_a_lapsed_supply() -> None:
    p = plan(start=date(2026, 1, 1), **AP)
    now = utc(2026, 3, 31, 18, 0)
    fills = [
        fill(date(2026, 1, 1), 30, "quetiapine", "antipsychotic"),
        fill(date(2026, 2, 15), 30, "quetiapine", "antipsychotic"),
        fill(date(2026, 3, 31), 30, "quetiapine", "antipsychotic"),
    ]
    low = pdc(fills, date(2026, 1, 1), date(2026, 3, 31))
    assert fired(facts(p, (), now, pdc=low), now, "ADH-ANTIPSYCH") is not None
    ok = pdc(
        [*fills[:2], fill(date(2026, 1, 31), 30, "quetiapine", "antipsychotic")],
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    assert fired(facts(p, (), now, pdc=ok), now, "ADH-ANTIPSYCH") is None
    one = [fill(date(2026, 3, 1), 10, "quetiapine", "antipsychotic")]
    lapsed = refill_schedule(one, lead_days=5, grace_days=7, today=date(2026, 3, 18))
    assert lapsed is not None and lapsed.lapse_on == date(2026, 3, 18)
    at = utc(2026, 3, 18, 18, 0)
    assert fired(facts(p, (), at, supply=lapsed, fills=tuple(one)), at, "ADH-ANTIPSYCH")
    day_before = utc(2026, 3, 17, 18, 0)
    assert fired(facts(p, (), day_before, supply=lapsed), day_before, "ADH-ANTIPSYCH") is None


# ADH-NEWSTART ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "after", "fires"),
    [
        (APR1, timedelta(days=7), True),
        (APR1, timedelta(days=7) - M, False),
        (date(2026, 2, 1), timedelta(days=7), False),  # not a new start any more
    ],
)
def test_new_start_without_a_dose_taken_for_a_week(
    start: date, after: timedelta, fires: bool
) -> None:
    p = plan(start=start)
    doses = history(p, APR1, ["missed"] * 7 + ["pending"])
    p = replace(p, first_dose_at=doses[0].scheduled_at)
    now = doses[0].scheduled_at + after
    assert (fired(facts(p, doses, now), now, "ADH-NEWSTART") is not None) is fires


@pytest.mark.parametrize(
    ("fills", "today", "fires"),
    [
        ([date(2026, 4, 1)], date(2026, 5, 6), True),  # day 35, one fill
        ([date(2026, 4, 1)], date(2026, 5, 5), False),
        ([date(2026, 4, 1), date(2026, 4, 29)], date(2026, 5, 6), False),
    ],
)
def test_new_start_without_a_second_fill_by_day_35(
    fills: list[date], today: date, fires: bool
) -> None:
    p = plan(start=APR1)
    now = utc(today.year, today.month, today.day, 18, 0)
    f = facts(p, (), now, fills=tuple(fill(d, 30) for d in fills), today=today)
    assert (fired(f, now, "ADH-NEWSTART") is not None) is fires


def test_new_start_whose_first_supply_ran_out_without_a_refill() -> None:
    p = plan(start=APR1)
    one = (fill(APR1, 14),)
    for today, fires in ((date(2026, 4, 22), True), (date(2026, 4, 21), False)):
        supply = refill_schedule(one, lead_days=5, grace_days=7, today=today)
        now = utc(today.year, today.month, today.day, 18, 0)
        f = facts(p, (), now, fills=one, supply=supply, today=today)
        assert (fired(f, now, "ADH-NEWSTART") is not None) is fires


# ADH-NO-REFILL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "fires"), [(date(2026, 4, 18), True), (date(2026, 4, 17), False)]
)
def test_no_refill_after_the_grace_period(today: date, fires: bool) -> None:
    p = plan(start=APR1)
    one = (fill(APR1, 10),)
    supply = refill_schedule(one, lead_days=5, grace_days=7, today=today)
    now = utc(today.year, today.month, today.day, 18, 0)
    finding = fired(facts(p, (), now, supply=supply, fills=one, today=today), now, "ADH-NO-REFILL")
    assert (finding is not None) is fires
    if finding is not None:
        assert finding.severity == "P2" and finding.episode == "runout:2026-04-11"


# ADH-DATA-GAP ----------------------------------------------------------------------------

LAST = utc(2026, 4, 5, 13, 5)


@pytest.mark.parametrize(
    ("replies", "prompt", "after", "plans", "fires"),
    [
        (3, LAST + timedelta(hours=24), timedelta(hours=72), 1, True),
        (3, LAST + timedelta(hours=24), timedelta(hours=72) - M, 1, False),
        (2, LAST + timedelta(hours=24), timedelta(hours=80), 1, False),  # never engaged
        (3, LAST - timedelta(hours=1), timedelta(hours=80), 1, False),  # not asked since
        (3, LAST + timedelta(hours=24), timedelta(hours=80), 0, False),  # no active plan
    ],
)
def test_data_gap(
    replies: int, prompt: datetime, after: timedelta, plans: int, fires: bool
) -> None:
    patient = Patient("p-1", replies=replies, last_reply_at=LAST, last_prompt_at=prompt)
    now = LAST + after
    found = dict(evaluate_patient(PatientFacts(patient, plans), T, now))["ADH-DATA-GAP"]
    assert (found is not None) is fires
    if found is not None:
        assert found.severity == "P3" and found.episode == f"since:{LAST.isoformat()}"


# every rule ------------------------------------------------------------------------------


def test_prn_stopped_and_ended_plans_raise_nothing() -> None:
    one = (fill(APR1, 1, "lithium", "lithium"),)  # ran out 04-02, lapsed 04-09
    for kwargs in (
        {},
        {"prn": True},
        {"active": False, "stopped_reason": "prescriber", "stopped_at": utc(2026, 4, 9, 0, 0)},
        {"end_date": date(2026, 4, 8)},  # a course that ended: no refill expected either
    ):
        p = plan(start=APR1, **LI, **kwargs)
        doses = history(plan(start=APR1, **LI), APR1, ["missed"] * 8)
        now = after_cutoff(doses, 7)
        supply = refill_schedule(one, lead_days=5, grace_days=7, today=date(2026, 4, 9))
        f = facts(p, doses, now, fills=one, supply=supply, today=date(2026, 4, 9))
        fired_rules = {rule for rule, finding in evaluate_plan(f, T, now) if finding}
        assert fired_rules == (
            {"ADH-LITHIUM", "ADH-CONSEC-MISS", "ADH-NO-REFILL"} if not kwargs else set()
        )


def test_evidence_is_capped_at_fifty_items_keeping_the_head() -> None:
    p = plan(start=date(2026, 3, 1), times=("08:00", "20:00"), **AP)
    doses = history(p, date(2026, 3, 1), ["missed"] * 60)
    now = after_cutoff(doses, 59)
    finding = fired(facts(p, doses, now), now, "ADH-ANTIPSYCH")
    assert finding is not None and len(finding.evidence) == 50
    assert finding.evidence[0].kind == "other" and finding.evidence[-1].ref == doses[59].dose_id


@pytest.mark.parametrize(
    ("drug", "cls", "start", "lengths"),
    [
        ("clozapine", "antipsychotic", APR1, [timedelta(hours=48)]),
        ("lamotrigine", "anticonvulsant", APR1, [timedelta(days=5)]),
        ("paroxetine", "ssri", APR1, [timedelta(hours=48), timedelta(days=7)]),
        ("paroxetine", "ssri", date(2026, 1, 1), [timedelta(hours=48)]),
        ("lithium", "lithium", APR1, []),
    ],
)
def test_gap_lengths(drug: str, cls: str, start: date, lengths: list[timedelta]) -> None:
    assert gap_lengths(plan(start=start, drug=drug, drug_class=cls), T, APR1) == lengths
