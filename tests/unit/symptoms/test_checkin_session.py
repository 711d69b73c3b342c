"""The check-in session as plain data: the PHQ-2 gate, the side-effect checklist, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.symptoms.rules import checkin_session as cs
from services.symptoms.rules.checkin_session import Outcome, Session, Step

T0 = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def opened(kind: str) -> Session:
    return cs.start(
        session_id="ci-1",
        patient_id="p-1",
        kind=kind,
        opened_at=T0,
        expires_at=T0 + timedelta(hours=24),
    ).session


def run(s: Session, *answers: int | tuple[int, ...], gate_min: int = 3) -> list[Outcome]:
    """Answer whatever is asked, in turn; the outcomes of every step."""
    outcomes = []
    for n, given in enumerate(answers):
        assert s.step is not None, f"nothing asked before answer {n}"
        values = given if isinstance(given, tuple) else ()
        value = (1 if given else 0) if isinstance(given, tuple) else given
        out = cs.answer(
            s,
            instrument=s.step.instrument,
            item=s.step.item,
            value=value,
            values=values,
            event_id=f"e{n}",
            gate_min=gate_min,
        )
        assert out is not None
        outcomes.append(out)
        s = out.session
    return outcomes


@pytest.mark.parametrize(
    ("item1", "item2", "gate_min", "continues"),
    [
        (1, 1, 3, False),  # total 2: below the default gate
        (1, 2, 3, True),  # total 3: the gate
        (0, 3, 3, True),
        (2, 2, 3, True),  # the example
        (0, 0, 3, False),
        (1, 1, 2, True),  # a clinic that gates at 2 (SYM-PHQ2-GATE, Arroll 2010)
        (0, 1, 2, False),
    ],
)
def test_phq2_gate(item1: int, item2: int, gate_min: int, continues: bool) -> None:
    first, second = run(opened("PHQ-2"), item1, item2, gate_min=gate_min)
    assert first.prompt == Step("PHQ-2", "2", 2, 2)
    [screen] = second.responses
    assert (screen.instrument, screen.status, screen.answers) == (
        "PHQ-2",
        "completed",
        (("1", item1), ("2", item2)),
    )
    if continues:
        assert second.prompt == Step("PHQ-9", "3", 3, 9)
        assert second.session.open
    else:
        assert second.prompt is None and second.session.status == "completed"


def test_a_positive_phq2_becomes_a_whole_phq9_in_the_same_session() -> None:
    outcomes = run(opened("PHQ-2"), 2, 2, 1, 1, 0, 1, 0, 0, 1)
    asked = [o.prompt for o in outcomes[:-1]]
    assert [(p.instrument, p.item, p.number, p.of) for p in asked if p] == [
        ("PHQ-2", "2", 2, 2),
        *((("PHQ-9", str(i), i, 9)) for i in range(3, 10)),
    ]
    last = outcomes[-1]
    assert last.session.status == "completed" and last.prompt is None
    [phq9] = last.responses
    assert phq9.instrument == "PHQ-9" and phq9.status == "completed"
    assert phq9.answers == tuple((str(i), v) for i, v in enumerate([2, 2, 1, 1, 0, 1, 0, 0, 1], 1))
    assert phq9.response_id == "ci-1-phq-9"


def test_gad7_runs_seven_items() -> None:
    outcomes = run(opened("GAD-7"), 3, 3, 3, 2, 2, 1, 1)
    assert [o.prompt.item for o in outcomes if o.prompt] == ["2", "3", "4", "5", "6", "7"]
    [response] = outcomes[-1].responses
    assert (response.instrument, response.status, len(response.answers)) == (
        "GAD-7",
        "completed",
        7,
    )


def test_an_answer_to_another_item_or_a_closed_session_changes_nothing() -> None:
    s = opened("PHQ-2")
    assert cs.answer(s, instrument="PHQ-2", item="2", value=1) is None  # not asked yet
    assert cs.answer(s, instrument="GAD-7", item="1", value=1) is None
    [first] = run(s, 2)
    again = cs.answer(first.session, instrument="PHQ-2", item="1", value=3)
    assert again is None  # a second reply to item 1 after item 2 was asked
    closed = cs.close(first.session, "stopped")
    assert closed is not None
    assert cs.answer(closed.session, instrument="PHQ-2", item="2", value=1) is None


def test_side_effect_checklist_then_a_severity_per_choice() -> None:
    s = opened("side_effects")
    assert s.step == Step("side_effects", "0", 1) and s.step.checklist
    outcomes = run(s, (6, 1), 1, 2)
    assert [o.prompt for o in outcomes[:-1]] == [
        Step("side_effects", "1", 2),
        Step("side_effects", "6", 3),
    ]
    report = outcomes[-1].report
    assert report is not None and report.report_id == "ci-1"
    assert report.effects == (("insomnia", 1), ("rash_new", 2))
    assert outcomes[-1].session.status == "completed"


def test_side_effect_checklist_none() -> None:
    [out] = run(opened("side_effects"), ())
    assert out.session.status == "completed"
    assert out.report is not None and out.report.effects == ()


@pytest.mark.parametrize(
    ("kind", "answers", "expected"),
    [
        ("PHQ-2", (), None),  # nothing answered: nothing to store
        ("PHQ-2", (2,), ("PHQ-2", (("1", 2),))),
        ("PHQ-2", (2, 2, 1), ("PHQ-9", (("1", 2), ("2", 2), ("3", 1)))),
        ("GAD-7", (1, 1), ("GAD-7", (("1", 1), ("2", 1)))),
    ],
)
def test_expiry_stores_the_answers_in_progress(
    kind: str, answers: tuple[int, ...], expected: tuple[str, tuple[tuple[str, int], ...]] | None
) -> None:
    s = opened(kind)
    if answers:
        s = run(s, *answers)[-1].session
    out = cs.close(s, "expired")
    assert out is not None and out.session.status == "expired" and out.prompt is None
    in_progress = [(r.instrument, r.answers) for r in out.responses if r.status == "in_progress"]
    assert in_progress == ([expected] if expected else [])
    assert cs.close(out.session, "expired") is None  # once


def test_expiry_reports_chosen_side_effects_even_unrated() -> None:
    s = run(opened("side_effects"), (6, 2), 3)[-1].session  # stomach rated 3, rash not yet
    out = cs.close(s, "expired")
    assert out is not None and out.report is not None
    assert out.report.effects == (("gi_upset", 3), ("rash_new", cs.UNRATED_SEVERITY))
    nothing_chosen = cs.close(opened("side_effects"), "stopped")
    assert nothing_chosen is not None and nothing_chosen.report is None
