"""Opt-out intent "by any reasonable means" (FCC 2024), measured on the phrase table.

The table (opt_out_phrases.py) is what patients text; these tests hold the classifier to it:
recall on plain opt-outs, no negative opted out, the issue's phrases, START/HELP exact, and a
summary line in pytest's terminal output.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.dispatcher.rules.keywords import MAX_CHARS, cancel_word, classify_keyword
from tests.summary import record
from tests.unit.dispatcher.opt_out_phrases import ISSUE_PHRASES, PHRASES_TABLE

MIN_RECALL = 0.98
"""Opt-out rows classified opt_out (opt_out_unsure does not count: the text went out)."""
MAX_NEGATIVES_OPTED_OUT = 0
"""Negative rows (expected None) classified opt_out. Zero: a wrong opt-out silently stops a
psychiatric patient's medication and appointment reminders until they text START, which they
have no reason to know; a missed one is asked about instead (opt_out_unsure) when it is
ambiguous."""
MIN_UNSURE_ASKED = 0.9
"""Rows expected opt_out_unsure that are asked about or opted out (not carried on silently)."""

PRECISION = (
    "I can't stop crying",
    "stopped taking it",
    "end of the day",
    "cancel my appointment",
    "help me stop smoking",
    "Is this the end?",
    "I took it at the end of lunch",
    "don't stop my meds",
    "stop by the pharmacy later",
    "no",
    "ok",
    "1",
    "2",
    "3",
    "quit smoking is hard",
)


def _results() -> list[tuple[str, str | None, str | None]]:
    return [
        (text, expected, classify_keyword(text, opted_out=False))
        for text, expected in PHRASES_TABLE
    ]


def test_the_table_is_large_and_well_formed() -> None:
    assert len(PHRASES_TABLE) >= 200
    texts = [text for text, _ in PHRASES_TABLE]
    assert len(texts) == len(set(texts)), [t for t, n in Counter(texts).items() if n > 1]
    kinds = Counter(expected for _, expected in PHRASES_TABLE)
    assert set(kinds) <= {"opt_out", "opt_out_unsure", "opt_in", "help", None}
    assert kinds["opt_out"] >= 150 and kinds[None] >= 80 and kinds["opt_out_unsure"] >= 10
    assert set(ISSUE_PHRASES) <= set(texts)


def test_opt_out_recall_and_precision() -> None:
    results = _results()
    outs = [(t, got) for t, exp, got in results if exp == "opt_out"]
    missed = [(t, got) for t, got in outs if got != "opt_out"]
    negatives = [(t, got) for t, exp, got in results if exp is None]
    opted_out = [t for t, got in negatives if got == "opt_out"]
    unsure = [(t, got) for t, exp, got in results if exp == "opt_out_unsure"]
    silent = [t for t, got in unsure if got not in ("opt_out", "opt_out_unsure")]
    asked = sum(got == "opt_out_unsure" for _, _, got in results)
    asked_negatives = sum(got == "opt_out_unsure" for _, got in negatives)
    recall = (len(outs) - len(missed)) / len(outs)
    line = (
        f"opt-out intent: {len(outs) - len(missed)}/{len(outs)} opt-outs caught "
        f"(recall {recall:.3f}), {len(opted_out)}/{len(negatives)} negatives opted out, "
        f"{asked} asked to confirm ({asked_negatives} of them negatives, "
        f"{len(unsure) - len(silent)}/{len(unsure)} unsure rows asked or opted out)"
    )
    record(line)
    assert recall >= MIN_RECALL, missed
    assert len(opted_out) <= MAX_NEGATIVES_OPTED_OUT, opted_out
    assert (len(unsure) - len(silent)) / len(unsure) >= MIN_UNSURE_ASKED, silent


@pytest.mark.parametrize("text", ISSUE_PHRASES)
def test_the_issue_phrases_opt_out(text: str) -> None:
    assert classify_keyword(text, opted_out=False) == "opt_out"
    assert classify_keyword(text, opted_out=True) == "opt_out"


@pytest.mark.parametrize("text", PRECISION)
def test_other_senses_never_opt_out(text: str) -> None:
    assert classify_keyword(text, opted_out=False) != "opt_out"
    assert classify_keyword(text, opted_out=True) != "opt_out"


@pytest.mark.parametrize("text", ["1", "2", "3", "0", "22", "1 6", "2.", " 3 ", "1, 6"])
def test_numbers_are_never_keywords(text: str) -> None:
    assert classify_keyword(text, opted_out=False) is None
    assert classify_keyword(text, opted_out=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [(t, e) for t, e in PHRASES_TABLE if e in ("opt_in", "help")],
)
def test_start_and_help_are_exact(text: str, expected: str) -> None:
    assert classify_keyword(text, opted_out=False) == expected
    assert classify_keyword(text, opted_out=True) == expected


@pytest.mark.parametrize(
    ("text", "opted_out", "expected"),
    [
        ("YES", True, "opt_in"),
        ("si", True, "opt_in"),
        ("Sí", True, "opt_in"),
        ("YES", False, None),  # YES only opts in from an opted-out number
        ("si", False, None),
        ("yes stop", True, "opt_out"),  # opt-out first
        ("STOP", True, "opt_out"),
        ("un stop", False, "opt_in"),
    ],
)
def test_yes_and_order(text: str, opted_out: bool, expected: str | None) -> None:
    assert classify_keyword(text, opted_out=opted_out) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cancel", True),
        ("CANCEL", True),
        ("CANCEL please", True),
        ("cancel please", True),
        ("please cancel", True),
        ("cancel!!", True),
        ("Cancel.", True),
        ("cancelar", True),
        ("cancelar por favor", True),
        ("Cancelar, por favor", True),
        ("C A N C E L", True),
        ("cancle", True),
        ("stop", False),
        ("STOP please", False),
        ("cancel these texts", False),  # the texts, named: not about a visit
        ("cancel my reminders", False),
        ("cancel my appointment", False),  # not an opt-out at all
        ("cancel it", False),  # asked (opt_out_unsure), not an opt-out
        ("I want to cancel", False),
        ("Cancel. I can't make it Tuesday", False),
        ("", False),
    ],
)
def test_cancel_word(text: str, expected: bool) -> None:
    assert cancel_word(text) is expected


@given(st.text(max_size=300))
def test_never_raises_on_any_text(text: str) -> None:
    for opted_out in (False, True):
        result = classify_keyword(text, opted_out=opted_out)
        assert result in (None, "opt_out", "opt_out_unsure", "opt_in", "help")
    assert isinstance(cancel_word(text), bool)


_PIECES = st.sampled_from(
    [
        "stop", "STOP", "st0p", "s t o p", "cancel", "end", "quit", "no", "more", "don't", "text",
        "me", "I", "want", "to", "please", "the", "these", "texts", "my", "appointment", "para",
        "ya", "quiero", "mensajes", "no me", "escriban", "1", "2", "?", "!", ".", ",", " - ", "\n",
        "🛑", "why", "you", "said", "how", "do", "off", "take", "it", "all", "at", "9am",
    ]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=40).map(" ".join))
def test_never_raises_on_keyword_soup(text: str) -> None:
    result = classify_keyword(text, opted_out=False)
    assert result in (None, "opt_out", "opt_out_unsure", "opt_in", "help")
    assert classify_keyword(text, opted_out=False) == result  # pure: same text, same answer


def test_long_texts_are_read_up_to_a_bound() -> None:
    assert classify_keyword("x" * (MAX_CHARS * 10), opted_out=False) is None
    assert classify_keyword("Hi. " * 10 + "Stop texting me", opted_out=False) == "opt_out"
