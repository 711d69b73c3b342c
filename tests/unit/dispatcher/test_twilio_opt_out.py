"""STOP, START and HELP as Twilio handles them (MTM_TWILIO__OPT_OUT_MODE): a keyword Twilio
answered is never answered again, and the ledger follows Twilio's block, including the opt-outs
Twilio never saw ("stop please", RESUME)."""

from __future__ import annotations

from typing import Any

import pytest

from services.dispatcher.rules.consent import ConsentFacts, check_consent
from services.dispatcher.rules.keywords import answered_by_twilio, twilio_keyword
from shared.events import ClinicianRegistered, ConsentChanged, NotificationSuppressed, phone_key
from tests.unit.dispatcher.conftest import OTHER_PHONE, PHONE, Harness, request

# text, blocked at Twilio -> what Twilio's default handling made of it
TWILIO_DEFAULT = [
    ("STOP", False, "STOP"),
    ("stop", False, "STOP"),
    ("  Stop \n", False, "STOP"),
    ("STOPALL", False, "STOP"),
    ("Unsubscribe", False, "STOP"),
    ("cancel", False, "STOP"),
    ("END", False, "STOP"),
    ("quit", False, "STOP"),
    ("REVOKE", False, "STOP"),
    ("optout", False, "STOP"),
    ("stop please", False, None),
    ("STOP REMINDERS", False, None),
    ("STOP.", False, None),
    ("OPT OUT", False, None),
    ("START", False, "START"),
    ("unstop", True, "START"),
    ("YES", True, "START"),
    ("yes", False, None),  # an answer to a prompt, not an opt-in
    ("RESUME", True, None),
    ("subscribe", True, None),
    ("HELP", False, "HELP"),
    ("info", True, "HELP"),
    ("AYUDA", False, None),
    ("help me", False, None),
    ("", False, None),
]


@pytest.mark.parametrize(("text", "blocked", "expected"), TWILIO_DEFAULT)
def test_twilio_keyword(text: str, blocked: bool, expected: str | None) -> None:
    assert twilio_keyword(text, blocked=blocked) == expected


# text, OptOutType, mode -> the keyword Twilio answered
ANSWERED = [
    ("STOP", None, "twilio_default", "STOP"),
    ("STOP", None, "advanced", None),  # Advanced Opt-Out names what it matched
    ("BAJA", "STOP", "advanced", "STOP"),  # a keyword the account configured
    ("RESUME", "START", "advanced", "START"),
    ("AYUDA", "HELP", "twilio_default", "HELP"),
    ("stop please", None, "twilio_default", None),
]


@pytest.mark.parametrize(("text", "opt_out_type", "mode", "expected"), ANSWERED)
def test_answered_by_twilio(text: str, opt_out_type: Any, mode: str, expected: str | None) -> None:
    assert answered_by_twilio(text, opt_out_type=opt_out_type, mode=mode, blocked=False) == (
        expected
    )


@pytest.mark.parametrize(
    "category",
    ["help", "crisis_resources", "opt_out_confirmation", "opt_in_confirmation", "dose_reminder"],
)
def test_nothing_goes_to_a_number_twilio_blocks(category: str) -> None:
    facts = ConsentFacts(
        recipient_kind="patient",
        programs=frozenset({"medications"}),
        phone_opted_out=True,
        confirmation_pending=True,
        carrier_blocked=True,
    )
    decision = check_consent(category, facts, crisis_to_opted_out=True)
    assert (decision.allowed, decision.reason) == (False, "opted_out")


@pytest.fixture
def twilio_default(harness: Harness) -> Harness:
    harness.ctx.opt_out_mode = "twilio_default"
    return harness


async def ledger(h: Harness, phone: str = PHONE) -> Any:
    return await h.ctx.directory.opt_out_state(phone_key(phone))


async def test_twilio_stop_is_one_consent_event_and_no_second_confirmation(
    twilio_default: Harness,
) -> None:
    h = twilio_default
    await h.enroll()
    stop = await h.text("STOP")
    await h.publish(stop)  # redelivered: at most the same event again, never a second one
    assert len({e.event_id for e in h.events(ConsentChanged)}) == 1
    consent = h.events(ConsentChanged)[0]
    assert (consent.status, consent.channel, consent.evidence) == (
        "revoked",
        "sms_keyword",
        stop.message_sid,
    )
    assert h.sms.sent == []  # Twilio's own confirmation went out; ours would get 21610
    record = await ledger(h)
    assert record.carrier and not record.confirmation_pending
    await h.publish(request())
    assert h.sms.sent == []
    assert h.events(NotificationSuppressed)[-1].reason == "opted_out"


async def test_an_opt_out_twilio_never_saw_is_confirmed_by_us_and_blocks_nothing_there(
    twilio_default: Harness,
) -> None:
    h = twilio_default
    await h.enroll()
    await h.text("stop please")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked"]
    [confirmation] = h.sms.bodies(PHONE)
    assert "unsubscribed" in confirmation and "988" in confirmation
    assert not (await ledger(h)).carrier
    # RESUME: Twilio never blocked the number, so our opt-in is the whole story.
    await h.text("RESUME")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked", "granted"]
    assert "again" in h.sms.bodies(PHONE)[-1]
    assert await ledger(h) is None


async def test_resume_cannot_lift_twilios_block_and_start_lifts_both(
    twilio_default: Harness,
) -> None:
    h = twilio_default
    await h.enroll()
    await h.text("STOP")
    await h.text("RESUME")
    assert (await ledger(h)).carrier  # still opted out, as Twilio still has it
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked"]
    assert h.sms.sent == []  # no confirmation tried: Twilio would refuse it (21610)
    await h.text("START")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked", "granted"]
    assert h.sms.sent == []  # Twilio's own START confirmation went out
    assert await ledger(h) is None
    await h.publish(request())
    assert "medicine" in h.sms.bodies(PHONE)[-1]


async def test_yes_from_a_number_twilio_blocks_is_twilios_opt_in(twilio_default: Harness) -> None:
    h = twilio_default
    await h.enroll()
    await h.text("QUIT")
    await h.text("yes")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked", "granted"]
    assert h.sms.sent == []


async def test_help_twilio_answered_is_not_answered_again(twilio_default: Harness) -> None:
    h = twilio_default
    await h.enroll()
    await h.text("HELP")
    await h.text("info")
    assert h.sms.sent == []
    await h.text("AYUDA")  # not one of Twilio's words: ours to answer
    [answer] = h.sms.bodies(PHONE)
    assert "STOP" in answer


async def test_a_21610_on_our_confirmation_is_no_second_consent_event(harness: Harness) -> None:
    """An account whose block the ledger did not know of (a STOP word it reads as ours): the
    confirmation is refused with 21610, the ledger learns of the block, one event stays."""
    h = harness  # advanced, no OptOutType: Twilio answered nothing
    await h.enroll()
    h.sms.fail_by_number[PHONE] = 21610
    await h.text("STOP")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked"]
    record = await ledger(h)
    assert record.carrier and not record.confirmation_pending


async def test_advanced_opt_out_type_is_twilios_answer(harness: Harness) -> None:
    h = harness
    await h.enroll()
    await h.text("BAJA", opt_out_type="STOP")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked"]
    assert h.sms.sent == []
    assert (await ledger(h)).carrier
    await h.text("HELP", opt_out_type="HELP")
    await h.text("RESUME", opt_out_type="START")
    assert [e.status for e in h.events(ConsentChanged)] == ["revoked", "granted"]
    assert h.sms.sent == []


async def test_advanced_stop_without_opt_out_type_is_ours(harness: Harness) -> None:
    h = harness
    await h.enroll()
    await h.text("STOP")  # the account's keywords did not include it: Twilio only forwarded it
    [confirmation] = h.sms.bodies(PHONE)
    assert "unsubscribed" in confirmation
    assert not (await ledger(h)).carrier


async def test_a_clinicians_twilio_stop_is_recorded_and_not_answered(
    twilio_default: Harness,
) -> None:
    h = twilio_default
    await h.publish(
        ClinicianRegistered(
            clinician_id="c-1", phone=OTHER_PHONE, display_name="On Call", sites=["austin"]
        )
    )
    await h.text("STOP", from_phone=OTHER_PHONE)
    assert h.sms.sent == []  # Twilio blocks the number: "cannot be stopped by text" cannot go
    assert (await ledger(h, OTHER_PHONE)).carrier
    assert h.events(ConsentChanged) == []
