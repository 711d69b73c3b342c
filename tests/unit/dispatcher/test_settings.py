"""Dispatcher settings from the environment: sites (MTM_SITES), bounds, production secrets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.dispatcher.settings import DispatcherSettings


def test_defaults_have_five_sites_with_local_senders() -> None:
    s = DispatcherSettings().dispatcher
    assert set(s.sites) == {"austin", "houston", "el-paso", "seattle", "spokane"}
    assert s.sites["el-paso"].zone == "America/Denver"
    assert s.sites["seattle"].from_number == "+12065550100"
    assert (s.quiet_start, s.quiet_end, s.crisis_text_to_opted_out) == ("09:00", "20:00", False)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    sites = {
        "tacoma": {
            "display_name": "Harbor Health",
            "help_phone": "253-555-0100",
            "zone": "America/Los_Angeles",
            "messaging_service_sid": "MG" + "1" * 32,
        }
    }
    monkeypatch.setenv("MTM_SITES", json.dumps(sites))
    monkeypatch.setenv("MTM_DISPATCHER__DEFAULT_SITE", "tacoma")
    monkeypatch.setenv("MTM_DISPATCHER__RATE_PER_SECOND", "3.5")
    monkeypatch.setenv("MTM_DISPATCHER__CRISIS_TEXT_TO_OPTED_OUT", "true")
    monkeypatch.setenv("MTM_TWILIO__BASE_URL", "http://127.0.0.1:8099")
    s = DispatcherSettings()
    assert s.dispatcher.sites["tacoma"].sender == "MG" + "1" * 32
    assert s.dispatcher.rate_per_second == 3.5 and s.dispatcher.crisis_text_to_opted_out
    assert s.twilio.base_url == "http://127.0.0.1:8099"


def _site(**fields: str) -> dict[str, str]:
    site = {
        "display_name": "Clinica Norte",
        "help_phone": "512-555-0100",
        "zone": "America/Chicago",
        "from_number": "+15125550100",
    }
    return {k: v for k, v in {**site, **fields}.items() if v}


GOOD: dict[str, Any] = {"sites": {"x": _site()}, "dispatcher": {"default_site": "x"}}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"dispatcher": {"default_site": "x", "claim_lease_seconds": 3}}, "claim_lease"),
        ({"dispatcher": {"default_site": "nowhere"}}, "DEFAULT_SITE"),
        ({"sites": {"x": _site(display_name="Clínica Norte")}}, "GSM-7"),  # í is not GSM-7
        ({"sites": {"x": _site(from_number="")}}, "from_number or messaging_service_sid"),
        ({"dispatcher": {"default_site": "x", "sites": {"x": _site()}}}, "MTM_SITES"),  # old
    ],
)
def test_refused(bad: dict[str, Any], reason: str) -> None:
    DispatcherSettings(**GOOD)  # the same shapes, valid, are accepted
    with pytest.raises(ValidationError, match=reason):
        DispatcherSettings(**{**GOOD, **bad})


def test_production_refuses_a_placeholder_auth_token() -> None:
    with pytest.raises(ValidationError, match="MTM_TWILIO__AUTH_TOKEN"):
        DispatcherSettings(env="production")
