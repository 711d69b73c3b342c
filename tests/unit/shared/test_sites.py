"""One site registry (MTM_SITES) for the dispatcher, reminders and escalation; production refuses
the built-in demo sites and missing public URLs, naming the variable. Plain environment, no .env
file, no infrastructure."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.dispatcher.settings import DispatcherSettings
from services.escalation.settings import EscalationSettings
from services.reminders.settings import RemindersSettings
from shared.sites import Site, demo_entries, demo_sites, is_us_long_code
from tests.unit.deploy.support import settings_from

TACOMA = {
    "name": "Tacoma",
    "display_name": "Harbor Health",
    "help_phone": "253-555-0100",
    "zone": "America/Los_Angeles",
    "messaging_service_sid": "MG" + "1f" * 16,
}
SITE_USERS = ["dispatcher", "reminders", "escalation"]
PRODUCTION = {
    # Everything production needs but what a test leaves out.
    "MTM_ENV": "production",
    "MTM_SITES": json.dumps({"tacoma": TACOMA}),
    "MTM_DISPATCHER__DEFAULT_SITE": "tacoma",
    "MTM_DISPATCHER__STATUS_CALLBACK_URL": "https://sms.clinic.example/twilio/status",
    "MTM_GATEWAY__PUBLIC_BASE_URL": "https://sms.clinic.example",
    "MTM_TWILIO__AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
}


def production(**changes: str | None) -> dict[str, str]:
    env = {**PRODUCTION, **changes}
    return {k: v for k, v in env.items() if v is not None}


def test_the_demo_sites_are_the_three_old_tables_reconciled() -> None:
    sites = demo_sites()
    assert {k: (s.name, s.display_name, s.help_phone, s.zone) for k, s in sites.items()} == {
        "austin": ("Austin", "Northside Clinic", "512-555-0100", "America/Chicago"),
        "houston": ("Houston", "Bayou Health", "713-555-0100", "America/Chicago"),
        "el-paso": ("El Paso", "Franklin Health", "915-555-0100", "America/Denver"),
        "seattle": ("Seattle", "Sound Health", "206-555-0100", "America/Los_Angeles"),
        "spokane": ("Spokane", "Inland Health", "509-555-0100", "America/Los_Angeles"),
    }
    assert all(s.from_number == "+1" + s.help_phone.replace("-", "") for s in sites.values())
    assert demo_entries(sites) == list(sites)


def test_the_three_services_read_one_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"MTM_SITES": json.dumps({"tacoma": TACOMA}), "MTM_DISPATCHER__DEFAULT_SITE": "tacoma"}
    dispatcher = settings_from("dispatcher", env, monkeypatch)
    reminders = settings_from("reminders", env, monkeypatch)
    escalation = settings_from("escalation", env, monkeypatch)
    assert isinstance(dispatcher, DispatcherSettings)
    assert isinstance(reminders, RemindersSettings)
    assert isinstance(escalation, EscalationSettings)
    site = dispatcher.dispatcher.sites["tacoma"]
    assert (site.display_name, site.help_phone, site.sender) == (
        "Harbor Health",
        "253-555-0100",
        "MG" + "1f" * 16,
    )
    policy = reminders.reminders.policy()
    assert list(policy.sites) == ["tacoma"]
    assert policy.site("tacoma").zone == "America/Los_Angeles"
    assert escalation.escalation.site_name("tacoma") == "Tacoma"
    assert escalation.escalation.sites["tacoma"].zone == "America/Los_Angeles"
    assert escalation.escalation.site_name("houston") == "houston"  # not a site: its id


def test_a_site_without_a_name_is_paged_under_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    nameless = {k: v for k, v in TACOMA.items() if k != "name"}
    env = {"MTM_SITES": json.dumps({"tacoma": nameless})}
    escalation = settings_from("escalation", env, monkeypatch)
    assert isinstance(escalation, EscalationSettings)
    assert escalation.escalation.site_name("tacoma") == "tacoma"


def test_sections_built_alone_have_the_demo_sites() -> None:
    from services.dispatcher.settings import DispatcherSection

    assert DispatcherSection().sites == demo_sites()


@pytest.mark.parametrize("service", SITE_USERS)
def test_an_old_per_service_site_table_is_refused_naming_mtm_sites(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {f"MTM_{service.upper()}__SITES": json.dumps({"tacoma": TACOMA})}
    with pytest.raises(ValidationError, match="MTM_SITES"):
        settings_from(service, env, monkeypatch)


@pytest.mark.parametrize(
    "site",
    [
        {**TACOMA, "messaging_service_sid": None},  # no sender
        {**TACOMA, "help_phone": "2535550100"},
        {**TACOMA, "zone": "Pacific/Nowhere"},
        {**TACOMA, "name": "A name far too long for a page"},
    ],
)
def test_a_bad_site_is_refused(site: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Site.model_validate(site)


def test_an_empty_registry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="sites"):
        settings_from("escalation", {"MTM_SITES": "{}"}, monkeypatch)


# ---------------------------------------------------------------- production refusals


@pytest.mark.parametrize("service", [*SITE_USERS, "gateway", "adherence", "symptoms"])
def test_production_accepts_a_complete_configuration(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings_from(service, production(), monkeypatch).env == "production"


@pytest.mark.parametrize("service", SITE_USERS)
def test_production_refuses_the_demo_sites(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = production(MTM_SITES=None, MTM_DISPATCHER__DEFAULT_SITE=None)  # not configured
    with pytest.raises(ValidationError, match=r"demo sites .*MTM_SITES"):
        settings_from(service, env, monkeypatch)


@pytest.mark.parametrize("service", SITE_USERS)
def test_production_refuses_a_demo_site_copied_into_the_registry(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    houston = demo_sites()["houston"].model_dump(mode="json")
    env = production(MTM_SITES=json.dumps({"tacoma": TACOMA, "houston": houston}))
    with pytest.raises(ValidationError, match=r"demo sites \(houston\).*MTM_SITES"):
        settings_from(service, env, monkeypatch)


@pytest.mark.parametrize("service", ["gateway", "adherence", "symptoms"])
def test_services_without_sites_do_not_refuse_the_demo_sites(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = production(MTM_SITES=None)
    assert settings_from(service, env, monkeypatch).env == "production"


def test_production_refuses_a_dispatcher_without_its_status_callback_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = production(MTM_DISPATCHER__STATUS_CALLBACK_URL=None)
    with pytest.raises(ValidationError, match="MTM_DISPATCHER__STATUS_CALLBACK_URL"):
        settings_from("dispatcher", env, monkeypatch)


def test_production_refuses_a_gateway_without_its_public_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = production(MTM_GATEWAY__PUBLIC_BASE_URL=None)
    with pytest.raises(ValidationError, match="MTM_GATEWAY__PUBLIC_BASE_URL"):
        settings_from("gateway", env, monkeypatch)


def test_every_production_refusal_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    env = production(
        MTM_SITES=None,
        MTM_DISPATCHER__DEFAULT_SITE=None,
        MTM_DISPATCHER__STATUS_CALLBACK_URL=None,
        MTM_TWILIO__AUTH_TOKEN="changeme",
    )
    with pytest.raises(ValidationError) as refused:
        settings_from("dispatcher", env, monkeypatch)
    message = str(refused.value)
    for name in ("MTM_TWILIO__AUTH_TOKEN", "MTM_SITES", "MTM_DISPATCHER__STATUS_CALLBACK_URL"):
        assert name in message


@pytest.mark.parametrize("service", ["dispatcher", "reminders", "escalation", "gateway"])
def test_development_takes_the_demo_sites(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(service, {}, monkeypatch)
    assert settings.sites == demo_sites()


# ---------------------------------------------------------------- A2P 10DLC


def _site_sending_from(number: str, **extra: str) -> str:
    site = {k: v for k, v in TACOMA.items() if k != "messaging_service_sid"}
    return json.dumps({"tacoma": {**site, "from_number": number, **extra}})


@pytest.mark.parametrize(
    ("number", "long_code"),
    [
        ("+12535550100", True),
        ("+15125550100", True),
        ("+18005550100", False),  # toll-free: verified, not 10DLC
        ("+18335550100", False),
        ("+18885550100", False),
        ("+18175550100", True),  # 817 (Fort Worth) is not toll-free
        ("24680", False),  # short code
        ("+442071838750", False),  # not a US number
    ],
)
def test_a_us_long_code_is_plus_one_and_ten_digits_not_toll_free(
    number: str, long_code: bool
) -> None:
    assert is_us_long_code(number) is long_code


def test_production_refuses_a_us_long_code_without_a2p_registration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = production(MTM_SITES=_site_sending_from("+12535550100"))
    with pytest.raises(ValidationError) as refused:
        settings_from("dispatcher", env, monkeypatch)
    reason = str(refused.value)
    assert "US long code without A2P 10DLC registration (tacoma)" in reason
    assert "A2P 10DLC brand and campaign" in reason and "a2p_campaign_sid" in reason
    assert "Messaging Service" in reason and "messaging_service_sid" in reason
    assert "+12535550100" not in reason
    # Reminders and escalation send nothing: the same registry is theirs to read.
    for service in ("reminders", "escalation"):
        assert settings_from(service, env, monkeypatch).env == "production"


def test_production_refuses_an_unregistered_long_code_fallback_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = _site_sending_from("24680", fallback_from_number="+12535550101")
    with pytest.raises(ValidationError, match=r"A2P 10DLC registration \(tacoma\)"):
        settings_from("dispatcher", production(MTM_SITES=sites), monkeypatch)


@pytest.mark.parametrize(
    "sites",
    [
        _site_sending_from("+12535550100", a2p_campaign_sid="QE" + "2c" * 16),
        _site_sending_from("+12535550100", messaging_service_sid="MG" + "1f" * 16),
        _site_sending_from("+18885550100"),  # toll-free
        _site_sending_from("24680"),  # short code
        json.dumps({"tacoma": TACOMA}),  # a Messaging Service alone
    ],
)
def test_production_accepts_registered_toll_free_and_short_code_senders(
    sites: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from("dispatcher", production(MTM_SITES=sites), monkeypatch)
    assert settings.env == "production"


def test_a2p_campaign_sid_is_a_twilio_campaign_sid() -> None:
    base = {k: v for k, v in TACOMA.items() if k != "messaging_service_sid"}
    with pytest.raises(ValidationError, match="a2p_campaign_sid"):
        Site(**base, from_number="+12535550100", a2p_campaign_sid="CABC123")


def test_a_short_code_can_be_a_sender_or_an_inbound_number() -> None:
    base = {k: v for k, v in TACOMA.items() if k != "messaging_service_sid"}
    site = Site(**base, from_number="24680", inbound_numbers=["824680", "+12535550177"])
    assert (site.from_number, site.inbound_numbers) == ("24680", ["824680", "+12535550177"])
    for junk in ("1234", "1234567", "+1253555", "whatsapp:+12535550100", "TACOMA"):
        with pytest.raises(ValidationError):
            Site(**base, from_number=junk)
