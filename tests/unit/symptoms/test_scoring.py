"""SYM-* scoring vectors: PHQ-9, PHQ-2, GAD-7, PCL-5 and C-SSRS scoring, LOINC codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.symptoms.rules import cssrs
from services.symptoms.rules.instruments import INSTRUMENTS, describe_item
from services.symptoms.rules.questionnaire import evaluate_answer, evaluate_response
from services.symptoms.rules.scoring import pcl5_dsm_rule, score
from tests.unit.symptoms.support import NOW, T, ctx


def answers(values: list[int], first: int = 1) -> list[tuple[str, int]]:
    return [(str(i), v) for i, v in enumerate(values, start=first)]


PHQ9_VECTORS = [
    # answers (items 1-9), total, band, item-9 alert (SYM-PHQ9-BAND, SYM-PHQ9-ITEM9)
    ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal", None),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", None),
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", None),
    ([2, 2, 2, 2, 1, 1, 2, 0, 0], 12, "moderate", None),
    ([3, 3, 3, 3, 3, 0, 0, 0, 1], 16, "moderately severe", "P1"),
    ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe", "P1"),
    ([0, 0, 0, 0, 0, 0, 0, 0, 1], 1, "minimal", "P1"),
]


@pytest.mark.parametrize(("values", "total", "band", "alert"), PHQ9_VECTORS)
def test_phq9_vectors(values: list[int], total: int, band: str, alert: str | None) -> None:
    s = score("PHQ-9", answers(values))
    assert (s.complete, s.total, s.band) == (True, total, band)
    found = {
        f.rule_id: f for f in evaluate_response(s, scope="qr-1", ref="qr-1", at=NOW, ctx=ctx(), t=T)
    }
    item9 = found.get("SYM-PHQ9-ITEM9")
    assert (item9.severity if item9 else None) == alert
    if item9:
        assert item9.crisis_text
        assert "PHQ-9 item 9 (LOINC 44260-8)" in item9.evidence[0].detail


def test_phq9_abandoned_after_item9_fires_p1_at_item_time_and_never_scores() -> None:
    session: dict[str, int] = {"1": 1, "2": 2, "3": 0}
    session["9"] = 2
    found = evaluate_answer("PHQ-9", "9", 2, session=session, scope="s-1", ctx=ctx(), t=T)
    assert [(f.rule_id, f.severity, f.crisis_text) for f in found] == [
        ("SYM-PHQ9-ITEM9", "P1", True)
    ]
    abandoned = score("PHQ-9", session.items(), finished=False)
    assert (abandoned.total, abandoned.band) == (None, None)


def test_a_total_needs_every_item_and_valid_values() -> None:
    assert score("PHQ-9", answers([1] * 8)).total is None
    out_of_range = score("PHQ-9", answers([1] * 8 + [4]))
    assert (out_of_range.total, out_of_range.invalid) == (None, ("9",))
    assert out_of_range.value("9") == 4  # kept for the safety rule
    assert score("PHQ-9", answers([1] * 9), finished=False).total is None


def test_an_out_of_range_item9_still_alerts() -> None:
    s = score("PHQ-9", answers([0] * 8 + [4]))
    found = evaluate_response(s, scope="qr", ref="qr", at=NOW, ctx=ctx(), t=T)
    assert [f.rule_id for f in found] == ["SYM-PHQ9-ITEM9"]


def test_a_duplicated_item_keeps_its_highest_answer() -> None:
    s = score("PHQ-9", [*answers([0] * 9), ("9", 2)])
    assert s.value("9") == 2 and s.total == 2


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_total_is_the_sum_and_the_band_follows_the_cut_points(values: list[int]) -> None:
    s = score("PHQ-9", answers(values))
    assert s.total == sum(values)
    cut = [b for b in (0, 5, 10, 15, 20) if sum(values) >= b][-1]
    assert (
        s.band
        == {0: "minimal", 5: "mild", 10: "moderate", 15: "moderately severe", 20: "severe"}[cut]
    )


@given(st.lists(st.integers(0, 3), min_size=8, max_size=8), st.integers(1, 3))
def test_item9_alert_never_depends_on_the_other_items(rest: list[int], item9: int) -> None:
    s = score("PHQ-9", answers([*rest, item9]))
    found = evaluate_response(s, scope="qr", ref="qr", at=NOW, ctx=ctx(), t=T)
    assert any(f.rule_id == "SYM-PHQ9-ITEM9" and f.severity in ("P0", "P1") for f in found)


@pytest.mark.parametrize(
    ("values", "total", "gate"),
    [
        ([0, 0], 0, False),
        ([1, 1], 2, False),
        ([1, 2], 3, True),
        ([3, 3], 6, True),
    ],
)
def test_phq2_total_and_gate(values: list[int], total: int, gate: bool) -> None:
    s = score("PHQ-2", answers(values))
    assert s.total == total and s.band is None
    found = evaluate_response(s, scope="s", ref="r", at=NOW, ctx=ctx(), t=T)
    assert [f.rule_id for f in found] == (["SYM-PHQ2-GATE"] if gate else [])


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, band: str) -> None:
    values = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    values += [0] * (7 - len(values))
    s = score("GAD-7", answers(values))
    assert (s.total, s.band) == (total, band)


@pytest.mark.parametrize(("values", "total"), [([0] * 20, 0), ([4] * 20, 80), ([2] * 20, 40)])
def test_pcl5_totals_without_invented_bands(values: list[int], total: int) -> None:
    s = score("PCL-5", answers(values))
    assert (s.total, s.band) == (total, None)


@pytest.mark.parametrize(
    ("endorsed", "expected"),
    [
        ({1, 6, 8, 9, 15, 16}, True),  # 1 B, 1 C, 2 D, 2 E
        ({1, 6, 8, 15, 16}, False),  # only 1 D
        ({1, 2, 8, 9, 15, 16}, False),  # no C
        (set(range(1, 21)), True),
    ],
)
def test_pcl5_dsm_cluster_rule(endorsed: set[int], expected: bool) -> None:
    assert pcl5_dsm_rule({str(i): (2 if i in endorsed else 1) for i in range(1, 21)}) is expected


CSSRS_ROWS = [
    # SYM-CSSRS-TRIAGE table
    ({"1": 0, "2": 0, "6": 0}, "none", None),
    ({"1": 1, "2": 0, "6": 0}, "low", "P1"),
    ({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}, "low", "P1"),
    ({"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}, "moderate", "P1"),
    ({"1": 0, "2": 0, "6": 1, "6b": 0}, "moderate", "P1"),
    ({"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}, "high", "P0"),
    ({"1": 1, "2": 1, "3": 1, "4": 0, "5": 1, "6": 0}, "high", "P0"),
    ({"1": 0, "2": 0, "6": 1, "6b": 1}, "high", "P0"),
    ({"1": 0, "2": 0, "6": 1}, "high", "P0"),  # recency unknown: escalate
]


@pytest.mark.parametrize(("given_answers", "level", "severity"), CSSRS_ROWS)
def test_cssrs_triage_rows(given_answers: dict[str, int], level: str, severity: str | None) -> None:
    assert cssrs.risk(given_answers) == level
    s = score("C-SSRS", given_answers.items())
    found = evaluate_response(s, scope="qr", ref="qr", at=NOW, ctx=ctx(), t=T)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if severity:
        assert found[0].rule_id == "SYM-CSSRS-TRIAGE" and found[0].crisis_text


def test_cssrs_q4_yes_fires_p0_the_moment_it_is_answered() -> None:
    session = {"1": 1, "2": 1, "3": 0, "4": 1}
    found = evaluate_answer("C-SSRS", "4", 1, session=session, scope="s-9", ctx=ctx(), t=T)
    assert [(f.rule_id, f.severity, f.crisis_text) for f in found] == [
        ("SYM-CSSRS-TRIAGE", "P0", True)
    ]
    assert any("Q4 (LOINC 93249-1) = yes" in e.detail for e in found[0].evidence)


@pytest.mark.parametrize(
    ("instrument", "item", "code"),
    [
        ("PHQ-9", "9", "44260-8"),
        ("PHQ-9", "1", "44250-9"),
        ("PHQ-2", "2", "44255-8"),
        ("GAD-7", "1", "69725-0"),
        ("GAD-7", "7", "69736-7"),
        ("C-SSRS", "4", "93249-1"),
        ("C-SSRS", "6b", "93269-9"),
    ],
)
def test_item_loinc_codes(instrument: str, item: str, code: str) -> None:
    assert INSTRUMENTS[instrument].loinc(item) == code
    assert code in describe_item(instrument, item, 1)


def test_total_loinc_codes() -> None:
    assert INSTRUMENTS["PHQ-9"].total_loinc == "44261-6"
    assert INSTRUMENTS["GAD-7"].total_loinc == "70274-6"  # not the panel code 69737-5
    assert INSTRUMENTS["PHQ-2"].total_loinc == "55758-7"
    assert INSTRUMENTS["PCL-5"].total_loinc is None  # unverified: not emitted


@pytest.mark.parametrize(
    ("instrument", "item", "value", "text"),
    [
        ("PHQ-9", "9", 2, "PHQ-9 item 9 (LOINC 44260-8) = 2 (LA6570-1)"),
        ("PHQ-9", "9", 0, "PHQ-9 item 9 (LOINC 44260-8) = 0 (LA6568-5)"),
        ("GAD-7", "2", 3, "GAD-7 item 2 (LOINC 68509-9) = 3 (LA6571-9)"),
        ("C-SSRS", "4", 1, "C-SSRS Q4 (LOINC 93249-1) = yes (LA33-6)"),
        ("C-SSRS", "6b", 0, "C-SSRS Q6b (LOINC 93269-9) = no (LA32-8)"),
        ("PCL-5", "16", 4, "PCL-5 item 16 = 4"),  # no verified PCL-5 codes
    ],
)
def test_evidence_names_item_and_answer_codes(
    instrument: str, item: str, value: int, text: str
) -> None:
    assert describe_item(instrument, item, value) == text
