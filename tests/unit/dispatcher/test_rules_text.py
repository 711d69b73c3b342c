"""Keywords, replies and the crisis screen: what people actually text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.dispatcher.rules.crisis import screen
from services.dispatcher.rules.keywords import classify_keyword
from services.dispatcher.rules.replies import Prompt, interpret

OPT_OUTS = [
    "STOP",
    "stop",
    "Stop please",
    "REVOKE",
    "OPT OUT",
    "no more texts",
    "Stop.",
    " stop ",
    "STOPALL",
    "Unsubscribe",
    "CANCEL",
    "end",
    "QUIT",
    "opt-out",
    "OptOut",
    "remove",
    "ARRET",
    "arrêt",
    "TD",
    "please stop",
    "Please STOP!",
    "STOP I want to die",
    "No more texts please",
    "leave me alone",
    "Stop texting me",
    "no más",
    "NO MAS",
    "baja",
    "Don't text me",
    "don\u2019t text me anymore",
    "opt out of this",
    # any reasonable means (FCC 2024): the plain opt-outs
    "STOPP",
    "cancel please",
    "I want to stop",
    "halt",
    "st0p",
    "S T O P",
]
NOT_OPT_OUTS = [
    "1",
    "Y",
    "yes",
    "I can't stop crying",
    "stopped taking it",
    "end of the day",
    "cancel my appointment",
    "3",
    "help me stop smoking",
    "",
    "   ",
    "no",
    "ok",
    "Is this the end?",
    "I took it at the end of lunch",
    "don't stop my meds",
    "stop by the pharmacy later",
    "2",
    "quit smoking is hard",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_opt_out_keywords(text: str) -> None:
    assert classify_keyword(text, opted_out=False) == "opt_out"
    assert classify_keyword(text, opted_out=True) == "opt_out"


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_not_opt_outs(text: str) -> None:
    assert classify_keyword(text, opted_out=False) != "opt_out"


@pytest.mark.parametrize(
    ("text", "opted_out", "expected"),
    [
        ("START", False, "opt_in"),
        ("unstop", True, "opt_in"),
        ("Start.", True, "opt_in"),
        ("YES", True, "opt_in"),
        ("yes", False, None),  # YES only re-subscribes an opted-out number
        ("HELP", False, "help"),
        ("help", True, "help"),
        ("Info", False, "help"),
        ("AYUDA", False, "help"),
        ("help me", False, None),
        ("1", True, None),
        ("I want to cancel", False, "opt_out_unsure"),  # the visit, or the texts? asked once
    ],
)
def test_opt_in_and_help(text: str, opted_out: bool, expected: str | None) -> None:
    assert classify_keyword(text, opted_out=opted_out) == expected


T = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def prompt(kind: str, ref: str, minutes: int = 0, **extra: str) -> Prompt:
    return Prompt(
        kind=kind,
        ref=ref,
        notification_id=f"n-{ref}",
        recipient_kind="patient" if kind != "page" else "clinician",
        recipient_id="p-1" if kind != "page" else "c-1",
        sent_at=T.replace(minute=minutes),
        patient_id="p-1",
        extra=extra,
    )


DOSE = prompt("dose", "plan-1:2026-03-10:08:00", 5)
APPT = prompt("appointment", "ap-1", 10)
PAGE = prompt("page", "4821", 1, alert_id="al-1")
CHECKIN = prompt("checkin", "s-1", 3, max="3")


@pytest.mark.parametrize(
    ("text", "prompts", "kind", "ref"),
    [
        ("1", [DOSE], "dose_taken", DOSE.ref),
        ("Y", [DOSE], "dose_taken", DOSE.ref),
        ("taken", [DOSE], "dose_taken", DOSE.ref),
        ("Yes!", [DOSE], "dose_taken", DOSE.ref),
        ("2", [DOSE], "dose_skipped", DOSE.ref),
        ("N", [DOSE], "dose_skipped", DOSE.ref),
        ("skip", [DOSE], "dose_skipped", DOSE.ref),
        ("si", [DOSE], "dose_taken", DOSE.ref),
        ("1", [APPT], "appt_confirm", "ap-1"),
        ("C", [APPT], "appt_confirm", "ap-1"),
        ("confirm", [APPT], "appt_confirm", "ap-1"),
        ("2", [APPT], "appt_reschedule", "ap-1"),
        ("R", [APPT], "appt_reschedule", "ap-1"),
        ("3", [APPT], "appt_cancel", "ap-1"),
        ("CXL", [APPT], "appt_cancel", "ap-1"),
        ("cancel", [APPT], "unrecognized", "ap-1"),  # never the word CANCEL (it opts out first)
        # the most recent prompt wins: the appointment came after the dose reminder
        ("1", [APPT, DOSE], "appt_confirm", "ap-1"),
        ("1", [DOSE, PAGE], "dose_taken", DOSE.ref),
        ("ACK 4821", [PAGE], "page_ack", "4821"),
        ("ack 4821", [DOSE, PAGE], "page_ack", "4821"),
        ("ACK", [PAGE], "page_ack", "4821"),
        ("RESOLVE 4821", [PAGE], "page_resolve", "4821"),
        ("ACK 9999", [PAGE], "page_unmatched", None),
        ("ACK 4821", [], "page_unmatched", None),
        ("2", [CHECKIN], "checkin_answer", "s-1"),
        ("7", [CHECKIN], "unrecognized", "s-1"),
        ("1", [], "unrecognized", None),
        ("running late", [APPT], "unrecognized", "ap-1"),
    ],
)
def test_interpret(text: str, prompts: list[Prompt], kind: str, ref: str | None) -> None:
    intent = interpret(text, prompts)
    assert intent.kind == kind
    assert (intent.prompt.ref if intent.prompt else None) == ref


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I can't breathe", "P0"),
        ("cant breathe", "P0"),
        ("CHEST PAIN since noon", "P0"),
        ("I think I had a seizure", "P0"),
        ("he passed out", "P0"),
        ("overdose", "P0"),
        ("I took all my pills", "P0"),
        ("I want to die", "P0"),
        ("i want to kill myself", "P0"),
        ("STOP I want to die", "P0"),
        ("quiero morir", "P0"),
        ("me quiero morir", "P0"),
        ("tengo dolor de pecho", "P0"),
        ("no puedo respirar", "P0"),
        ("tome una sobredosis", "P0"),
        ("convulsión", "P0"),
        ("I\u2019m suicidal", "P0"),
        ("kms", "P0"),
        ("STOP k1ll myself", "P0"),
        ("i just want to disappear", "P1"),
        ("I'm going to jump", "P1"),
        ("1", None),
        ("STOP", None),
        ("I took my pills", None),
        ("pain in my chest", "P0"),
        ("chest of drawers", None),
        ("the seizure medication", "P0"),  # when in doubt escalate (domain 2.3)
        ("killed it at work today", None),
        ("die hard fan", None),
        ("overdue refill", None),
    ],
)
def test_crisis_screen(text: str, level: str | None) -> None:
    found = screen(text)
    assert (found.level if found is not None else None) == level
    assert found is None or found.categories  # categories for the alert, never the words
