"""The shared crisis screen against the phrase table: recall, false positives, P0 for intent."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.lexicon.crisis import CATEGORIES, CrisisMatch, screen
from tests import summary as report
from tests.unit.lexicon.crisis_phrases import ISSUE, NEGATIVES, POSITIVES, REPLIES

MIN_RECALL = 0.98
# Three false positives allowed, all on purpose, and no more: a fourth is a new fault, not noise.
# - "my mom is going to kill me if i miss this", "mi mamá va a matarme si llego tarde": "kill me"
#   is raised at P1 because the same words are a threat ("he said he'd kill me") or a wish ("just
#   kill me now") a clinician must read; no word in the text tells the idiom apart.
# - "my doctor said no more seizures since march": any seizure word is a P0 (domain 2.3, when in
#   doubt escalate; "the seizure medication" was a P0 before this screen), and telling "no more
#   seizures" from "more seizures" is the negation parsing the domain rules out.
MAX_FALSE_POSITIVES = 3


def _figures() -> tuple[list[str], list[str], list[str]]:
    """Positives missed, explicit-intent (P0) rows answered P1, negatives flagged."""
    missed, under, flagged = [], [], []
    for text, expected in POSITIVES:
        found = screen(text)
        if found is None:
            missed.append(text)
        elif expected == "P0" and found.level != "P0":
            under.append(text)
    flagged = [text for text in NEGATIVES if screen(text) is not None]
    return missed, under, flagged


def _per_call_us(texts: list[str], rounds: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            screen(text)
    return (time.perf_counter() - start) / (rounds * len(texts)) * 1e6


def test_the_table_is_large_and_has_no_duplicates() -> None:
    texts = [t for t, _ in POSITIVES] + list(NEGATIVES)
    assert len(texts) >= 200
    assert len(set(texts)) == len(texts)


def test_recall_false_positives_and_p0_for_explicit_intent() -> None:
    missed, under, flagged = _figures()
    caught = len(POSITIVES) - len(missed)
    recall = caught / len(POSITIVES)
    precision = caught / (caught + len(flagged))
    texts = [t for t, _ in POSITIVES] + list(NEGATIVES)
    report.record(
        f"crisis screen: {caught}/{len(POSITIVES)} positives caught (recall {recall:.3f}), "
        f"{len(flagged)}/{len(NEGATIVES)} negatives flagged (precision {precision:.3f}), "
        f"{len(under)} explicit-intent phrases at P1, {_per_call_us(texts):.1f} us per text"
    )
    assert recall >= MIN_RECALL, f"missed: {missed}"
    assert len(flagged) <= MAX_FALSE_POSITIVES, f"flagged: {flagged}"
    assert under == [], f"explicit intent raised only at P1: {under}"


@pytest.mark.parametrize("text", ISSUE)
def test_each_phrase_of_the_outside_report_is_caught(text: str) -> None:
    assert screen(text) is not None


@pytest.mark.parametrize("text", REPLIES)
def test_dose_and_keyword_replies_are_never_flagged(text: str) -> None:
    # No budget here: a crisis text in answer to "1" would be a fault every patient meets daily.
    assert screen(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP I want to die", CrisisMatch("P0", ("self_harm",))),
        ("cant breathe and chest pain", CrisisMatch("P0", ("breathing", "chest_pain"))),
        ("he had a seizure then passed out", CrisisMatch("P0", ("seizure", "collapse"))),
        ("how many pills would it take to die", CrisisMatch("P0", ("self_harm", "overdose"))),
        ("i just want to disappear", CrisisMatch("P1", ("risk_language",))),
        ("its hard to breathe", CrisisMatch("P1", ("breathing",))),
        # the highest level wins; categories in CATEGORIES order, whatever the text's order
        ("this is goodbye, i took all my pills", CrisisMatch("P0", ("overdose", "risk_language"))),
        ("chest pain. i want to kill myself", CrisisMatch("P0", ("self_harm", "chest_pain"))),
        ("kill myself kill myself kms", CrisisMatch("P0", ("self_harm",))),
    ],
)
def test_level_and_categories(text: str, expected: CrisisMatch) -> None:
    assert screen(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "\n", "?!", "🙂"])
def test_nothing_to_read(text: str | None) -> None:
    assert screen(text) is None


def test_categories_never_carry_the_words() -> None:
    for text, _ in POSITIVES:
        found = screen(text)
        assert found is not None and found.categories
        assert set(found.categories) <= set(CATEGORIES)
        assert list(found.categories) == sorted(found.categories, key=CATEGORIES.index)


def test_a_long_text_is_fast_and_still_read_to_the_end() -> None:
    filler = "the new dose is fine and the rash is better, thanks for checking in 😊 " * 30
    text = filler[:1980] + " i want to die"
    assert len(text) > 1990
    assert screen(text) == CrisisMatch("P0", ("self_harm",))
    per_call = _per_call_us([text], rounds=50)
    report.record(f"crisis screen: {per_call:.0f} us per 2,000-character text")
    assert per_call < 50_000  # generous: a loaded CI machine, not a benchmark


@settings(max_examples=300)
@given(
    st.text(
        st.characters(codec=None, exclude_categories=["Cs"]),
        max_size=2000,
    )
    | st.lists(
        st.sampled_from(
            ["kill", "my", "self", "k", "i", "l", "s", "🔪", "💊", "⚰️", "\x00", "\u200b", "!", " "]
        ),
        max_size=400,
    ).map("".join)
)
def test_never_raises(text: str) -> None:
    found = screen(text)
    assert found is None or (
        found.level in ("P0", "P1") and set(found.categories) <= set(CATEGORIES)
    )
