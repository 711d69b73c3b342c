"""Check-in answers read in the light of the item asked (what patients actually text)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.dispatcher.rules.answers import checklist, scale
from services.dispatcher.rules.keywords import classify_keyword
from services.dispatcher.rules.replies import Prompt, interpret


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", 2),
        (" 2 ", 2),
        ("2.", 2),
        ("two", 2),
        ("Two!", 2),
        ("dos", 2),
        ("tres", 3),
        ("cero", 0),
        ("uno", 1),
        ("0", 0),
        ("3", 3),
        ("nearly every day", 3),
        ("Several days", 1),
        ("casi todos los días", 3),
        # unclear: asked again
        ("22", None),  # two digits: 2 or 22?
        ("02", None),
        ("4", None),  # out of the 0-3 range
        ("four", None),
        ("2 3", None),
        ("2 or 3", None),
        ("maybe", None),
        ("", None),
        ("1-2", None),
        ("2/3", None),
    ],
)
def test_scale_answers(text: str, value: int | None) -> None:
    assert scale(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("mild", 1), ("Severe", 3), ("grave", 3), ("none", 0), ("2", 2), ("nearly every day", None)],
)
def test_severity_answers(text: str, value: int | None) -> None:
    assert scale(text, labels="severity") == value


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("1 6", (1, 6)),
        ("1,6", (1, 6)),
        ("1, 6", (1, 6)),
        ("6 and 1", (1, 6)),
        ("6 y 1", (1, 6)),
        ("seis", (6,)),
        ("6", (6,)),
        ("6 6", (6,)),
        ("0", ()),
        ("none", ()),
        ("nada", ()),
        # unclear: asked again
        ("16", None),  # 1 and 6, or sixteen?
        ("8", None),
        ("0 6", None),  # none, and a rash?
        ("rash", None),
        ("", None),
    ],
)
def test_checklist_answers(text: str, chosen: tuple[int, ...] | None) -> None:
    assert checklist(text) == chosen


@pytest.mark.parametrize("text", ["0", "1", "2", "3", "1 6", "dos", "two", "22", "1, 6", "3."])
def test_numeric_answers_are_never_keywords(text: str) -> None:
    assert classify_keyword(text, opted_out=False) is None
    assert classify_keyword(text, opted_out=True) is None


T = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def checkin(**extra: str) -> Prompt:
    base = {"instrument": "PHQ-9", "item": "3", "answer": "scale", "max": "3"}
    return Prompt(
        kind="checkin",
        ref="ci-1",
        notification_id="n-1",
        recipient_kind="patient",
        recipient_id="p-1",
        sent_at=T,
        patient_id="p-1",
        extra={**base, **extra},
    )


@pytest.mark.parametrize(
    ("text", "prompt", "kind", "value", "values"),
    [
        ("2", checkin(), "checkin_answer", 2, ()),
        ("dos", checkin(), "checkin_answer", 2, ()),
        ("22", checkin(), "unrecognized", None, ()),
        ("1 6", checkin(answer="checklist", max="7"), "checkin_answer", 1, (1, 6)),
        ("0", checkin(answer="checklist", max="7"), "checkin_answer", 0, ()),
        ("mild", checkin(scale="severity"), "checkin_answer", 1, ()),
    ],
)
def test_interpret_reads_the_item_asked(
    text: str, prompt: Prompt, kind: str, value: int | None, values: tuple[int, ...]
) -> None:
    intent = interpret(text, [prompt])
    assert (intent.kind, intent.value, intent.values) == (kind, value, values)
    assert intent.prompt == prompt


def test_checklist_answers_travel_as_values() -> None:
    from pydantic import ValidationError

    from shared import topics
    from shared.events import QuestionnaireItemAnswered, parse_event
    from shared.testing.factories import sample

    event = sample(
        QuestionnaireItemAnswered, instrument="side_effects", item="0", value=1, values=[1, 6]
    )
    assert parse_event(topics.SYMPTOMS, event.model_dump_json()) == event
    assert sample(QuestionnaireItemAnswered).values == []  # older producers: no values
    with pytest.raises(ValidationError):
        sample(QuestionnaireItemAnswered, instrument="side_effects", item="0", values=[0])
    with pytest.raises(ValidationError):
        sample(QuestionnaireItemAnswered, instrument="weight", item="1")
