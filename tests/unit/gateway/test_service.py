"""Health, readiness, metrics and settings: what an operator sees of the gateway."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from deploy.local.private_kafka import free_port
from services.gateway.__main__ import load_settings
from services.gateway.metrics import GatewayMetrics
from services.gateway.readiness import ReadinessMonitor, tcp_reachable
from services.gateway.settings import GatewaySettings
from tests.unit.gateway.support import harness, inbound


class FakeBroker:
    """Fails to start `failures` times, then answers pings with `up`."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.starts = self.stops = 0
        self.up = True

    async def start(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise ConnectionError("no broker")

    async def stop(self) -> None:
        self.stops += 1

    async def ping(self, timeout: float | None) -> bool:
        return self.up


class FakeRedis:
    up = True

    async def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("no redis")
        return True


async def test_health_is_the_process_and_readiness_is_kafka_and_redis() -> None:
    async with harness() as h:
        assert (await h.client.get("/healthz")).status_code == 200
        ready = await h.client.get("/readyz")
        h.probe.kafka_ready = False
        not_ready = await h.client.get("/readyz")
        still_healthy = await h.client.get("/healthz")
    assert (ready.status_code, ready.json()) == (200, {"kafka": True, "redis": True})
    assert (not_ready.status_code, not_ready.json()) == (503, {"kafka": False, "redis": True})
    assert still_healthy.status_code == 200


async def test_metrics_count_webhooks_by_endpoint_and_outcome() -> None:
    async with harness() as h:
        await h.post("/twilio/sms", inbound())
        await h.post("/twilio/sms", inbound(), signature="forged")
        text = (await h.client.get("/metrics")).text
    assert 'mtm_gateway_webhooks_total{endpoint="sms",outcome="accepted"} 1.0' in text
    assert 'mtm_gateway_webhooks_total{endpoint="sms",outcome="bad_signature"} 1.0' in text
    assert 'mtm_gateway_webhooks_total{endpoint="status",outcome="unavailable"} 0.0' in text
    assert 'mtm_gateway_answer_seconds_count{endpoint="sms"} 2.0' in text
    assert 'mtm_gateway_publish_seconds_count{topic="mtm.sms.inbound"} 1.0' in text
    assert "+1512" not in text


async def test_the_monitor_keeps_connecting_until_kafka_answers_and_follows_both_stores() -> None:
    broker, redis, gauge = FakeBroker(failures=2), FakeRedis(), GatewayMetrics()
    monitor = ReadinessMonitor(
        broker,
        redis.ping,
        interval=0.01,
        timeout=0.1,
        observe=lambda name, ok: gauge.ready.labels(name).set(int(ok)),
    )
    await monitor.check()
    await monitor.check()
    assert (monitor.kafka_ready, monitor.redis_ready, monitor.ready) == (False, True, False)
    assert broker.stops == 2  # each half-started producer dropped before the next try
    await monitor.check()
    assert monitor.ready and broker.starts == 3
    broker.up, redis.up = False, False
    await monitor.check()
    assert monitor.snapshot() == {"kafka": False, "redis": False}
    assert (
        gauge.registry.get_sample_value("mtm_gateway_dependency_ready", {"dependency": "kafka"})
        == 0
    )
    broker.up, redis.up = True, True
    await monitor.check()
    assert monitor.ready and broker.starts == 3  # reconnecting is the producer's job once started


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTM_GATEWAY__HOST", "10.0.0.7")
    monkeypatch.setenv("MTM_GATEWAY__PORT", "9091")
    monkeypatch.setenv("MTM_GATEWAY__PUBLIC_BASE_URL", "https://sms.clinic.example/hooks")
    monkeypatch.setenv("MTM_GATEWAY__MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("MTM_TWILIO__AUTH_TOKEN", "0123456789abcdef")
    settings = GatewaySettings(_env_file=None)
    assert (settings.gateway.host, settings.gateway.port) == ("10.0.0.7", 9091)
    assert settings.gateway.public_base_url == "https://sms.clinic.example/hooks"
    assert settings.gateway.max_body_bytes == 4096
    assert settings.twilio.auth_token.get_secret_value() == "0123456789abcdef"


def test_defaults_listen_on_loopback_8080(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MTM_GATEWAY__HOST", "MTM_GATEWAY__PORT", "MTM_GATEWAY"):
        monkeypatch.delenv(name, raising=False)
    settings = GatewaySettings(_env_file=None)
    assert (settings.gateway.host, settings.gateway.port) == ("127.0.0.1", 8080)


def test_production_refuses_a_missing_public_url_or_a_placeholder_token() -> None:
    with pytest.raises(ValidationError, match="MTM_GATEWAY__PUBLIC_BASE_URL"):
        GatewaySettings(
            _env_file=None, env="production", twilio={"auth_token": "a-real-token-1234"}
        )
    with pytest.raises(ValidationError, match="MTM_TWILIO__AUTH_TOKEN"):
        GatewaySettings(
            _env_file=None,
            env="production",
            gateway={"public_base_url": "https://sms.clinic.example"},
        )


@pytest.mark.parametrize(
    "url", ["sms.clinic.example", "https://x.example/a?b=c", "ftp://x.example"]
)
def test_a_public_url_must_be_a_bare_http_base(url: str) -> None:
    with pytest.raises(ValidationError, match="public_base_url"):
        GatewaySettings(_env_file=None, gateway={"public_base_url": url})


async def test_no_connect_is_attempted_while_no_broker_accepts_tcp() -> None:
    closed = tcp_reachable(f"127.0.0.1:{free_port()}", timeout=0.5)
    broker = FakeBroker()
    monitor = ReadinessMonitor(broker, FakeRedis().ping, interval=1, timeout=0.1, reachable=closed)
    await monitor.check()
    assert (broker.starts, monitor.kafka_ready) == (0, False)
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        monitor.reachable = tcp_reachable(f"10.255.255.1:9,127.0.0.1:{port}", timeout=0.2)
        await monitor.check()
    assert (broker.starts, monitor.kafka_ready) == (1, True)


def test_invalid_settings_stop_start_up_with_reasons_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MTM_ENV", "production")
    monkeypatch.setenv("MTM_TWILIO__AUTH_TOKEN", "a-very-real-secret-4711")
    monkeypatch.setenv("MTM_GATEWAY__PORT", "eighty")
    monkeypatch.delenv("MTM_GATEWAY__PUBLIC_BASE_URL", raising=False)
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    message = str(stopped.value.code)
    assert message.startswith("gateway: invalid settings: gateway.port: ")
    assert "a-very-real-secret-4711" not in message
