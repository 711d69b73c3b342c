"""Dose-pattern alert rules (domain 3.3) at and just below their thresholds: consecutive
misses, SSRI discontinuation, benzodiazepine and lithium stops, clozapine and lamotrigine gaps;
and an episode keeping its id while it lasts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.unit.adherence.support import (
    APR1,
    Drug,
    M,
    after_cutoff,
    facts,
    fired,
    history,
    plan,
    utc,
)

# ADH-CONSEC-MISS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "fires"),
    [
        (["taken_on_time", "missed", "missed", "missed"], True),
        (["taken_on_time", "missed", "missed"], False),
        (["missed", "skipped", "unknown"], True),  # unknown counts like a miss
        (["missed", "missed", "taken_late", "missed", "missed"], False),
        (["missed", "missed", "cancelled", "missed"], True),  # cancelled neither counts nor breaks
    ],
)
def test_consecutive_missed_doses(statuses: list[str], fires: bool) -> None:
    p = plan(start=APR1)
    doses = history(p, APR1, statuses)
    now = after_cutoff(doses, len(statuses) - 1)
    assert (fired(facts(p, doses, now), now, "ADH-CONSEC-MISS") is not None) is fires


def test_consecutive_misses_keep_one_episode_until_a_dose_is_taken() -> None:
    p = plan(start=APR1)
    three = history(p, APR1, ["taken_on_time", "missed", "missed", "missed"])
    four = history(p, APR1, ["taken_on_time", "missed", "missed", "missed", "missed"])
    a = fired(facts(p, three, after_cutoff(three, 3)), after_cutoff(three, 3), "ADH-CONSEC-MISS")
    b = fired(facts(p, four, after_cutoff(four, 4)), after_cutoff(four, 4), "ADH-CONSEC-MISS")
    assert a is not None and b is not None
    assert a.episode == b.episode == "plan-1:2026-04-02:08:00"
    assert next(e.ref for e in b.evidence) == "plan-1:2026-04-02:08:00"
    again = history(p, APR1, ["missed"] * 3 + ["taken_on_time"] + ["missed"] * 3)
    c = fired(facts(p, again, after_cutoff(again, 6)), after_cutoff(again, 6), "ADH-CONSEC-MISS")
    assert c is not None and c.episode == "plan-1:2026-04-05:08:00"  # a new episode


# ADH-SSRI-DISC ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "statuses", "fires"),
    [
        ("paroxetine", ["taken_on_time", "missed", "missed"], True),  # 2 daily doses, 60 h
        ("paroxetine", ["taken_on_time", "missed"], False),
        ("venlafaxine", ["taken_on_time", "missed", "missed"], True),
        ("fluoxetine", ["taken_on_time"] + ["missed"] * 6, False),  # 156 h < 7 days
        ("fluoxetine", ["taken_on_time"] + ["missed"] * 7, True),  # 180 h
        ("sertraline", ["taken_on_time"] + ["missed"] * 9, False),  # not a short half-life drug
    ],
)
def test_ssri_discontinuation(drug: str, statuses: list[str], fires: bool) -> None:
    p = plan(start=APR1, drug=drug, drug_class="snri" if drug == "venlafaxine" else "ssri")
    doses = history(p, APR1, statuses)
    now = after_cutoff(doses, len(statuses) - 1)
    assert (fired(facts(p, doses, now), now, "ADH-SSRI-DISC") is not None) is fires


def test_ssri_discontinuation_needs_the_second_dose_closed_not_just_48_hours() -> None:
    p = plan(start=APR1, drug="paroxetine")
    doses = history(p, APR1, ["taken_on_time", "missed", "pending"])
    now = doses[2].scheduled_at + 30 * M  # 48.5 h since the last dose, second dose still open
    assert fired(facts(p, doses, now), now, "ADH-SSRI-DISC") is None


# ADH-BZD-STOP ----------------------------------------------------------------------------

BZD: Drug = {"drug": "lorazepam", "drug_class": "benzodiazepine"}


@pytest.mark.parametrize(
    ("start", "statuses", "fires"),
    [
        (APR1, ["taken_on_time"] * 14 + ["missed", "missed"], True),
        (APR1, ["taken_on_time"] * 14 + ["missed"], False),
        (date(2026, 4, 10), ["taken_on_time"] * 3 + ["missed", "missed"], False),  # < 2 weeks
    ],
)
def test_benzodiazepine_stop(start: date, statuses: list[str], fires: bool) -> None:
    p = plan(start=start, **BZD)
    doses = history(p, start, statuses)
    now = after_cutoff(doses, len(statuses) - 1)
    assert (fired(facts(p, doses, now), now, "ADH-BZD-STOP") is not None) is fires


@pytest.mark.parametrize(("reason", "fires"), [("patient", True), ("prescriber", False)])
def test_benzodiazepine_stop_reported_by_the_patient(reason: str, fires: bool) -> None:
    now = utc(2026, 4, 20, 15, 0)
    p = plan(start=APR1, active=False, stopped_reason=reason, stopped_at=now, **BZD)
    doses = history(p, APR1, ["taken_on_time"] * 19)
    assert (fired(facts(p, doses, now), now, "ADH-BZD-STOP") is not None) is fires


# ADH-LITHIUM -----------------------------------------------------------------------------

LI: Drug = {"drug": "lithium", "drug_class": "lithium"}


@pytest.mark.parametrize(
    ("times", "statuses", "fires"),
    [
        (("08:00",), ["taken_on_time", "missed", "missed"], True),
        (("08:00",), ["taken_on_time", "missed"], False),
        (("08:00",), ["taken_on_time", "missed", "unknown"], True),
        (
            ("08:00", "20:00"),
            ["missed", "taken_on_time", "missed", "missed", "missed", "missed"],
            True,
        ),
        (("08:00", "20:00"), ["missed", "missed", "missed", "taken_late"], False),
        # day 3 in progress (its evening dose open): days 1-2 count
        (("08:00", "20:00"), ["missed", "missed", "missed", "missed", "missed", "pending"], True),
    ],
)
def test_lithium_two_missed_days(times: tuple[str, ...], statuses: list[str], fires: bool) -> None:
    p = plan(start=APR1, times=times, **LI)
    doses = history(p, APR1, statuses)
    closed = max(i for i, s in enumerate(statuses) if s != "pending")
    now = after_cutoff(doses, closed)
    finding = fired(facts(p, doses, now), now, "ADH-LITHIUM")
    assert (finding is not None) is fires
    if finding is not None:
        assert finding.severity == "P1"
        assert all(e.kind == "dose" for e in finding.evidence)


def test_lithium_evidence_lists_the_missed_doses_of_both_days() -> None:
    p = plan(start=APR1, **LI)
    doses = history(p, APR1, ["taken_on_time", "missed", "missed"])
    now = after_cutoff(doses, 2)
    finding = fired(facts(p, doses, now), now, "ADH-LITHIUM")
    assert finding is not None
    assert finding.episode == "plan-1:2026-04-02:08:00"
    assert [e.ref for e in finding.evidence] == [
        "plan-1:2026-04-02:08:00",
        "plan-1:2026-04-03:08:00",
    ]
    assert finding.evidence[0].detail == "missed, scheduled 2026-04-02 08:00 local"


@pytest.mark.parametrize(("reason", "fires"), [("patient", True), ("prescriber", False)])
def test_lithium_stop_reported_by_the_patient(reason: str, fires: bool) -> None:
    now = utc(2026, 4, 5, 15, 0)
    p = plan(start=APR1, active=False, stopped_reason=reason, stopped_at=now, **LI)
    assert (fired(facts(p, (), now), now, "ADH-LITHIUM") is not None) is fires


# ADH-CLOZ-48H and ADH-LTG-GAP ------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "statuses", "after", "fires"),
    [
        ("clozapine", ["taken_on_time", "missed", "pending"], timedelta(hours=48), True),
        ("clozapine", ["taken_on_time", "missed", "pending"], timedelta(hours=48) - M, False),
        ("clozapine", ["missed", "missed", "pending"], timedelta(hours=48), True),  # never taken
        ("lamotrigine", ["taken_on_time"] + ["missed"] * 4 + ["pending"], timedelta(days=5), True),
        (
            "lamotrigine",
            ["taken_on_time"] + ["missed"] * 4 + ["pending"],
            timedelta(days=5) - M,
            False,
        ),
    ],
)
def test_gap_rules(drug: str, statuses: list[str], after: timedelta, fires: bool) -> None:
    rule = "ADH-CLOZ-48H" if drug == "clozapine" else "ADH-LTG-GAP"
    cls = "antipsychotic" if drug == "clozapine" else "anticonvulsant"
    p = plan(start=APR1, drug=drug, drug_class=cls)
    doses = history(p, APR1, statuses)
    now = doses[0].scheduled_at + after
    finding = fired(facts(p, doses, now), now, rule)
    assert (finding is not None) is fires
    if finding is not None:
        anchor = "first-dose" if statuses[0] == "missed" else "plan-1:2026-04-01:08:00"
        assert finding.episode == f"after:{anchor}"
        assert {e.ref for e in finding.evidence[1:]} >= {d.dose_id for d in doses[1:2]}


def test_gap_rules_need_an_active_plan() -> None:
    now = utc(2026, 4, 10, 0, 0)
    p = plan(
        start=APR1,
        drug="clozapine",
        drug_class="antipsychotic",
        active=False,
        stopped_reason="prescriber",
        stopped_at=utc(2026, 4, 2, 0, 0),
    )
    doses = history(p, APR1, ["taken_on_time"])
    assert fired(facts(p, doses, now), now, "ADH-CLOZ-48H") is None
