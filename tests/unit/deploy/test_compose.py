"""docker-compose.yml, checked without Docker: it parses, every service has an entry with the
project's command, its MTM_* variables are settings the service really reads, secrets are
required (${VAR:?}) and never written down, and both `make up` and `make up-dev` environments
produce settings the services accept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from deploy.services import (
    HTTP_SERVICES,
    ROOT,
    secret_variables,
    service_names,
    settings_class,
    variable_names,
)
from shared.settings import TwilioServiceSettings
from shared.sites import SiteRegistry
from tests.unit.deploy.support import (
    documents,
    interpolate,
    mtm_items,
    read_env_file,
    required_variables,
    settings_from,
)

COMPOSE = ROOT / "docker-compose.yml"
DEV_ENV = ROOT / "deploy" / "compose" / "dev.env"
SERVICES = service_names()
WORKERS = [s for s in SERVICES if s not in HTTP_SERVICES]
PRODUCTION_LIKE = {
    "MTM_REDIS_PASSWORD": "a1b2c3d4e5f6a7b8",
    "MTM_TWILIO__ACCOUNT_SID": "AC" + "1f" * 16,
    "MTM_TWILIO__AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "MTM_GATEWAY__PUBLIC_BASE_URL": "https://sms.example.org",
    # Production refuses the built-in demo sites (dev.env spells them out).
    "MTM_SITES": json.dumps(
        {
            "tacoma": {
                "name": "Tacoma",
                "display_name": "Harbor Health",
                "help_phone": "253-555-0100",
                "zone": "America/Los_Angeles",
                "messaging_service_sid": "MG" + "1f" * 16,
            }
        }
    ),
    "MTM_DISPATCHER__DEFAULT_SITE": "tacoma",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    [doc] = documents(COMPOSE)
    return doc


def entry(compose: dict[str, Any], service: str) -> dict[str, Any]:
    return dict(compose["services"][service])


def test_every_service_has_an_entry_that_runs_it(compose: dict[str, Any]) -> None:
    assert SERVICES == ["adherence", "dispatcher", "escalation", "gateway", "reminders", "symptoms"]
    for service in SERVICES:
        e = entry(compose, service)
        assert e["command"] == ["python", "-m", f"services.{service}"]
        assert e["build"] == {
            "context": ".",
            "dockerfile": "deploy/Dockerfile",
            "target": "runtime",
        }
        assert "profiles" not in e, f"{service} must run without a profile"


def test_infrastructure_is_kafka_4_in_kraft_and_redis_with_aof(compose: dict[str, Any]) -> None:
    kafka, redis = entry(compose, "kafka"), entry(compose, "redis")
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "ZOOKEEPER" not in str(kafka["environment"]).upper()
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert redis["image"].startswith("redis:7")
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "requirepass" in command
    assert "$$REDIS_PASSWORD" in command  # from the environment, never in the file
    init = entry(compose, "kafka-init")
    assert init["image"] == kafka["image"]
    assert init["environment"]["BOOTSTRAP"] == "kafka:9092"
    assert init["volumes"] == ["./deploy/k8s/topics/create-topics.sh:/opt/mtm/create-topics.sh:ro"]


def test_healthchecks_and_start_order(compose: dict[str, Any]) -> None:
    for name in ("kafka", "redis", *SERVICES):
        assert entry(compose, name).get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
    assert entry(compose, "kafka-init")["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for service in SERVICES:
        depends = entry(compose, service)["depends_on"]
        assert depends["kafka-init"] == {"condition": "service_completed_successfully"}
        assert depends["redis"] == {"condition": "service_healthy"}
    for worker in WORKERS:
        check = entry(compose, worker)["healthcheck"]["test"]
        assert check == ["CMD", "python", "-m", "shared.health", "--ready"]
        health = entry(compose, worker)["environment"]["MTM_HEALTH__FILE"]
        assert health.startswith("/tmp/"), "the heartbeat must go to the tmpfs"
    gateway_check = " ".join(entry(compose, "gateway")["healthcheck"]["test"])
    assert "/readyz" in gateway_check


def test_services_run_locked_down(compose: dict[str, Any]) -> None:
    for name in (*SERVICES, "fake-twilio"):
        e = entry(compose, name)
        assert e["read_only"] is True, name
        assert e["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in e["security_opt"], name
        assert any(t.startswith("/tmp") for t in e["tmpfs"]), name
        for port in e.get("ports", []):
            assert port.startswith(("127.0.0.1:", "${")), f"{name} publishes {port} publicly"


def test_the_fake_twilio_is_a_dev_profile_only(compose: dict[str, Any]) -> None:
    fake = entry(compose, "fake-twilio")
    assert fake["profiles"] == ["dev"]
    assert fake["build"]["target"] == "dev"
    assert [n for n, e in compose["services"].items() if "profiles" in e] == ["fake-twilio"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_is_a_setting_of_the_service(compose: dict[str, Any], service: str) -> None:
    known = variable_names(settings_class(service))
    unknown = sorted(
        k for k, _ in mtm_items(entry(compose, service)["environment"]) if k not in known
    )
    assert unknown == [], f"{service} does not read {unknown} (see its settings class)"


@pytest.mark.parametrize("service", SERVICES)
def test_secrets_are_required_and_never_written_down(compose: dict[str, Any], service: str) -> None:
    env = dict(mtm_items(entry(compose, service)["environment"]))
    cls = settings_class(service)
    needed = {"MTM_REDIS__URL"}
    if issubclass(cls, TwilioServiceSettings):
        needed |= {"MTM_TWILIO__AUTH_TOKEN", "MTM_TWILIO__ACCOUNT_SID"}
    assert needed <= set(env), f"{service} lacks {sorted(needed - set(env))}"
    for name in secret_variables(cls) & set(env) | {"MTM_TWILIO__ACCOUNT_SID"} & set(env):
        assert ":?" in env[name], f"{name} must be required: ${{VAR:?message}}"
        with pytest.raises(KeyError):
            interpolate(env[name], {})  # compose refuses to start without it


def test_dev_env_provides_every_required_variable() -> None:
    missing = required_variables(COMPOSE.read_text()) - set(read_env_file(DEV_ENV))
    assert missing == set(), f"deploy/compose/dev.env lacks {sorted(missing)} (make up-dev)"


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("flavour", ["production", "dev"])
def test_the_environment_compose_gives_is_accepted_by_the_service(
    compose: dict[str, Any], service: str, flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `make up` (production mode) and `make up-dev` hand each service validates."""
    given = PRODUCTION_LIKE if flavour == "production" else read_env_file(DEV_ENV)
    env = {k: interpolate(v, given) for k, v in mtm_items(entry(compose, service)["environment"])}
    settings = settings_from(service, env, monkeypatch)
    assert settings.env == ("production" if flavour == "production" else "development")
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.redis.url.get_secret_value().endswith("@redis:6379/0")
    assert settings.sites == TypeAdapter(SiteRegistry).validate_json(given["MTM_SITES"])
    if service == "dispatcher":
        callback = env["MTM_DISPATCHER__STATUS_CALLBACK_URL"]
        assert callback == given["MTM_GATEWAY__PUBLIC_BASE_URL"] + "/twilio/status"
