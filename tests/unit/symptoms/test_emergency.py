"""SE-ANY-EMERGENCY on free text: crisis language in English and Spanish, never echoed."""

from __future__ import annotations

import pytest

from services.symptoms.rules import emergency
from services.symptoms.rules import report as side_effect_report
from tests.unit.symptoms.support import T, by_rule, ctx, details, report


def test_stop_i_want_to_die_fires_p0_with_the_crisis_text() -> None:
    found = by_rule(
        side_effect_report.evaluate(report([], free_text="STOP I want to die"), ctx(), T)
    )
    finding = found["SE-ANY-EMERGENCY"]
    assert (finding.severity, finding.crisis_text) == ("P0", True)
    text = details(finding)
    assert "self_harm" in text and "die" not in text  # categories, never the words


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("STOP I want to die", ("self_harm",)),
        ("i want to KILL MYSELF!!", ("self_harm",)),
        ("I can\u2019t breathe", ("breathing",)),
        ("cant breathe and chest pain", ("breathing", "chest_pain")),
        ("he had a seizure then passed out", ("seizure", "collapse")),
        ("me tomé todas las pastillas", ("overdose",)),
        ("quiero morir", ("self_harm",)),
        ("i wanna diiiie", ("self_harm",)),
        ("took too many pills", ("overdose",)),
        ("estoy pensando en suicidarme", ("self_harm",)),
        ("i just want to disappear", ("risk_language",)),  # P1 language: a category too
        ("its hard to breathe", ("breathing",)),
        ("I want to diet", ()),
        ("the rash is better", ()),
        ("took my pills this morning", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_crisis_language(text: str | None, categories: tuple[str, ...]) -> None:
    assert emergency.classify(text) == categories
