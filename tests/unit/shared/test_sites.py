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
from shared.sites import Site, demo_entries, demo_sites
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
