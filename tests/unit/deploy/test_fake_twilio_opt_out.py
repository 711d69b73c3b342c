"""The fake Twilio's keyword handling in its two modes (deploy/local/fake_twilio/opt_out.py)."""

from __future__ import annotations

import pytest

from deploy.local.fake_twilio.opt_out import STANDARD_TEXTS, OptOutDesk

ME, US = "+15125550143", "+15125550100"


def test_default_mode_answers_blocks_and_unblocks_like_twilio() -> None:
    desk = OptOutDesk()
    assert desk.receive(ME, US, "stop please").keyword is None  # only forwarded
    assert not desk.blocked(ME)
    outcome = desk.receive(ME, US, " Stop ")
    assert (outcome.keyword, outcome.reply) == ("STOP", STANDARD_TEXTS["STOP"])
    assert desk.refuse(ME)
    assert desk.receive(ME, US, "RESUME").keyword is None  # not one of Twilio's words
    assert desk.blocked(ME)
    assert desk.receive(ME, US, "yes").keyword == "START"  # YES from a blocked number
    assert not desk.refuse(ME)
    assert desk.receive(ME, US, "yes").keyword is None  # YES now answers a prompt
    assert desk.receive(ME, US, "HELP").reply == STANDARD_TEXTS["HELP"]
    view = desk.snapshot()
    assert [r["keyword"] for r in view["auto_replies"]] == ["STOP", "START", "HELP"]
    assert [r["to"] for r in view["refused"]] == [ME]


def test_advanced_mode_uses_the_accounts_texts_and_keywords() -> None:
    desk = OptOutDesk("advanced")
    desk.configure(
        {"texts": {"STOP": "Clinic: unsubscribed. 988."}, "keywords": {"STOP": ["BAJA", "STOP"]}}
    )
    assert desk.receive(ME, US, "baja").reply == "Clinic: unsubscribed. 988."
    assert desk.blocked(ME)
    assert desk.receive(ME, US, "QUIT").keyword is None  # no longer one of the account's words
    desk.reset()
    assert (
        desk.mode == "advanced" and not desk.blocked(ME) and desk.snapshot()["auto_replies"] == []
    )


@pytest.mark.parametrize(
    "bad", [{"mode": "kind"}, {"texts": {"PAUSE": "x"}}, {"keywords": {"STOP": "STOP"}}, {"x": 1}]
)
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must|unknown"):
        OptOutDesk().configure(bad)
