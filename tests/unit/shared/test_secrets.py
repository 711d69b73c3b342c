"""Secrets (Kafka SASL password, Redis password and URL, Twilio auth token) never show in the
repr of any service's settings, in a log line, in a refused configuration's message, or in the
repr of the clients built from them."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from services.adherence.settings import AdherenceSettings
from services.dispatcher.settings import DispatcherSettings
from services.escalation.settings import EscalationSettings
from services.gateway.settings import GatewaySettings
from services.reminders.settings import RemindersSettings
from services.symptoms.settings import SymptomsSettings
from shared.broker import make_broker
from shared.connections import redis_client
from shared.logging import JsonFormatter, configure_logging
from shared.settings import BaseServiceSettings, TwilioServiceSettings, load_settings

KAFKA_PASSWORD = "kafka-Pa55-s3cret"
REDIS_PASSWORD = "redis-Pa55-s3cret"
URL_PASSWORD = "url-Pa55-s3cret"
TWILIO_TOKEN = "twilio-T0ken-s3cret"
SECRETS = (KAFKA_PASSWORD, REDIS_PASSWORD, URL_PASSWORD, TWILIO_TOKEN)
SITE = {"display_name": "Northside Clinic", "help_phone": "512-555-0100", "zone": "America/Chicago"}
SERVICES = [
    GatewaySettings,
    DispatcherSettings,
    RemindersSettings,
    AdherenceSettings,
    SymptomsSettings,
    EscalationSettings,
]


def env(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    values = {
        "MTM_ENV": "production",
        "MTM_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "MTM_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "MTM_KAFKA__SASL_USERNAME": "mtm",
        "MTM_KAFKA__SASL_PASSWORD": KAFKA_PASSWORD,
        "MTM_REDIS__URL": f"rediss://mtm:{URL_PASSWORD}@redis.example:6380/0",
        "MTM_REDIS__PASSWORD": REDIS_PASSWORD,
        "MTM_TWILIO__AUTH_TOKEN": TWILIO_TOKEN,
        "MTM_GATEWAY__PUBLIC_BASE_URL": "https://sms.example.org",
        "MTM_DISPATCHER__STATUS_CALLBACK_URL": "https://sms.example.org/twilio/status",
        "MTM_SITES": json.dumps({"austin": {**SITE, "messaging_service_sid": "MG" + "1" * 32}}),
        **extra,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.mark.parametrize("cls", SERVICES)
def test_settings_repr_str_and_dump_hide_secrets(
    cls: type[BaseServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    env(monkeypatch)
    settings = cls()
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == KAFKA_PASSWORD
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.kafka)):
        assert_clean(text)
    assert "**" in repr(settings.kafka)  # masked, not dropped


@pytest.mark.parametrize("cls", SERVICES)
def test_a_log_line_carrying_the_settings_hides_secrets(
    cls: type[BaseServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    env(monkeypatch)
    settings = cls()
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging(level="INFO", stream=stream)
    try:
        log = logging.getLogger("mtm.test.secrets")
        log.info(
            "starting with %s", settings, extra={"settings": settings, "kafka": settings.kafka}
        )
        log.warning("redis at %s", settings.redis.url)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    text = stream.getvalue()
    assert "starting with" in text
    assert_clean(text)
    assert_clean(JsonFormatter(redact=False).format(_record(settings)))


@pytest.mark.parametrize("cls", SERVICES)
def test_refused_settings_never_echo_secrets(
    cls: type[BaseServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    env(monkeypatch, MTM_KAFKA__DLQ_AFTER_ATTEMPTS="many", MTM_REDIS__NAMESPACE="bad name!")
    with pytest.raises(SystemExit) as info:
        load_settings(cls)
    message = str(info.value)
    assert "dlq_after_attempts" in message
    assert_clean(message)


def test_placeholder_secrets_are_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    env(monkeypatch, MTM_TWILIO__AUTH_TOKEN="changeme", MTM_REDIS__PASSWORD="secret")
    with pytest.raises(SystemExit) as info:
        load_settings(TwilioServiceSettings)
    assert "MTM_TWILIO__AUTH_TOKEN" in str(info.value) and "MTM_REDIS__PASSWORD" in str(info.value)
    assert "changeme" not in str(info.value)


def test_clients_built_from_the_settings_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    env(monkeypatch)
    settings = DispatcherSettings()
    broker = make_broker(settings, client_id="dispatcher")
    client = redis_client(settings.redis)
    for text in (repr(broker), str(broker), repr(client), repr(client.connection_pool)):
        assert_clean(text)


def _record(settings: Any) -> logging.LogRecord:
    record = logging.makeLogRecord({"msg": "settings", "levelno": logging.INFO})
    record.levelname = "INFO"
    record.__dict__["dump"] = json.loads(settings.model_dump_json())
    return record
