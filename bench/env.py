"""Environment of the service processes a scenario starts."""

from __future__ import annotations

from bench.infra import BenchInfra
from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def service_env(
    infra: BenchInfra,
    *,
    prefix: str,
    namespace: str,
    fake_url: str | None = None,
    auth_token: str = DEFAULT_AUTH_TOKEN,
    **settings: object,
) -> dict[str, str]:
    """MTM_* for one service process: the run's topics and keys, the fake Twilio, INFO logs (as
    in production), plus MTM_<SECTION>__<FIELD> for each `section__field=value` given."""
    env = {
        "MTM_ENV": "test",
        "MTM_KAFKA__BOOTSTRAP_SERVERS": infra.kafka,
        "MTM_KAFKA__TOPIC_PREFIX": prefix,
        "MTM_REDIS__URL": infra.redis_url,
        "MTM_REDIS__NAMESPACE": namespace,
        "MTM_LOG__LEVEL": "INFO",
        "MTM_TWILIO__ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "MTM_TWILIO__AUTH_TOKEN": auth_token,
    }
    if fake_url:
        env["MTM_TWILIO__BASE_URL"] = fake_url
    for key, value in settings.items():
        env[f"MTM_{key.upper()}"] = str(value)
    return env
