"""Settings from the environment: prefix, nesting, secrets, production refusals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import BaseServiceSettings, TwilioServiceSettings


def test_nested_settings_come_from_mtm_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTM_KAFKA__BOOTSTRAP_SERVERS", "10.0.0.5:9092")
    monkeypatch.setenv("MTM_REDIS__URL", "redis://:hunter22@10.0.0.6:6379/1")
    monkeypatch.setenv("MTM_KAFKA__DLQ_AFTER_ATTEMPTS", "5")
    settings = BaseServiceSettings()
    assert settings.kafka.bootstrap_servers == "10.0.0.5:9092"
    assert settings.kafka.dlq_after_attempts == 5
    assert settings.redis.url.get_secret_value().endswith("@10.0.0.6:6379/1")


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTM_REDIS__URL", "redis://:hunter22@10.0.0.6:6379/1")
    monkeypatch.setenv("MTM_TWILIO__AUTH_TOKEN", "tok-9f8e7d6c5b4a")
    settings = TwilioServiceSettings()
    for text in (repr(settings), str(settings), repr(settings.model_dump())):
        assert "hunter22" not in text and "tok-9f8e7d6c5b4a" not in text


@pytest.mark.parametrize("token", ["", "changeme", "CHANGEME", "placeholder", " test "])
def test_production_refuses_placeholder_secrets(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("MTM_ENV", "production")
    monkeypatch.setenv("MTM_TWILIO__AUTH_TOKEN", token)
    with pytest.raises(ValidationError, match="MTM_TWILIO__AUTH_TOKEN"):
        TwilioServiceSettings()


def test_production_accepts_a_real_secret_and_development_accepts_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert TwilioServiceSettings().twilio.auth_token.get_secret_value() == "changeme"
    monkeypatch.setenv("MTM_ENV", "production")
    monkeypatch.setenv("MTM_TWILIO__AUTH_TOKEN", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6")
    assert TwilioServiceSettings().env == "production"


def test_production_with_sasl_needs_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTM_ENV", "production")
    monkeypatch.setenv("MTM_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("MTM_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    with pytest.raises(ValidationError, match="MTM_KAFKA__SASL_PASSWORD"):
        BaseServiceSettings()


def test_a_bad_value_fails_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTM_KAFKA__DLQ_AFTER_ATTEMPTS", "many")
    with pytest.raises(ValidationError, match="dlq_after_attempts"):
        BaseServiceSettings()


def test_a_settings_error_at_start_up_never_echoes_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.settings import load_settings

    monkeypatch.setenv("MTM_ENV", "production")
    monkeypatch.setenv("MTM_TWILIO__AUTH_TOKEN", "changeme")
    monkeypatch.setenv("MTM_REDIS__URL", "redis://:hunter22@10.0.0.6:6379/1")
    with pytest.raises(SystemExit) as exit_info:
        load_settings(TwilioServiceSettings)
    message = str(exit_info.value)
    assert "MTM_TWILIO__AUTH_TOKEN" in message
    assert "hunter22" not in message and "changeme" not in message
