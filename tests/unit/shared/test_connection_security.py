"""Kafka SASL/TLS and Redis AUTH/TLS from settings: what the clients end up configured with.

No TLS server is needed: the clients are built, not connected, and their configuration is read.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from redis.asyncio.connection import SSLConnection

from shared.broker import make_broker
from shared.connections import kafka_client_kwargs, kafka_security, redis_client
from shared.settings import BaseServiceSettings, KafkaSettings, RedisSettings

TLS = Path(__file__).parent / "tls"
CA = str(TLS / "ca.pem")
CERT, KEY = str(TLS / "client-cert.pem"), str(TLS / "client-key.pem")
PASSWORD = "s3cr3t-kafka-pass"


def sasl_ssl(**overrides: Any) -> KafkaSettings:
    fields: dict[str, Any] = {
        "bootstrap_servers": "kafka-1.example:9093,kafka-2.example:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "mtm-dispatcher",
        "sasl_password": PASSWORD,
        "ssl_cafile": CA,
    }
    return KafkaSettings(**{**fields, **overrides})


def test_sasl_ssl_scram_reaches_the_broker_producer_and_consumers() -> None:
    settings = BaseServiceSettings(kafka=sasl_ssl())
    broker = make_broker(settings, client_id="dispatcher")
    producer_side: dict[str, Any] = broker._connection_kwargs
    builder = broker.config.broker_config.builder
    assert isinstance(builder, functools.partial)  # the consumers' factory, options bound
    consumer_side: dict[str, Any] = builder.keywords
    for options in (producer_side, consumer_side):
        assert options["security_protocol"] == "SASL_SSL"
        assert options["sasl_mechanism"] == "SCRAM-SHA-512"
        assert options["sasl_plain_username"] == "mtm-dispatcher"
        assert options["sasl_plain_password"] == PASSWORD
        context = options["ssl_context"]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
        assert context.get_ca_certs()[0]["subject"] == ((("commonName", "mtm-notify test CA"),),)
    assert producer_side["acks"] == -1 or producer_side["acks"] == "all"


@pytest.mark.parametrize(
    ("protocol", "mechanism", "expected"),
    [
        ("SASL_PLAINTEXT", "PLAIN", ("SASL_PLAINTEXT", "PLAIN", False)),
        ("SASL_PLAINTEXT", None, ("SASL_PLAINTEXT", "PLAIN", False)),
        ("SASL_SSL", "SCRAM-SHA-256", ("SASL_SSL", "SCRAM-SHA-256", True)),
        ("SASL_SSL", "PLAIN", ("SASL_SSL", "PLAIN", True)),
    ],
)
async def test_each_sasl_variant(
    protocol: str, mechanism: str | None, expected: tuple[Any, ...]
) -> None:
    tls = protocol == "SASL_SSL"
    settings = sasl_ssl(
        security_protocol=protocol, sasl_mechanism=mechanism, ssl_cafile=CA if tls else None
    )
    options = kafka_client_kwargs(settings)
    got = (
        options["security_protocol"],
        options["sasl_mechanism"],
        options["ssl_context"] is not None,
    )
    assert got == expected
    # aiokafka accepts the combination (it checks protocol, mechanism and context up front).
    await _accepted(options)


async def test_tls_only_with_a_client_certificate() -> None:
    settings = KafkaSettings(
        security_protocol="SSL", ssl_cafile=CA, ssl_certfile=CERT, ssl_keyfile=KEY
    )
    options = kafka_client_kwargs(settings)
    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options
    await _accepted(options)


def test_hostname_check_can_be_turned_off_but_verification_stays() -> None:
    security = kafka_security(sasl_ssl(ssl_check_hostname=False))
    assert security is not None and security.ssl_context is not None
    assert security.ssl_context.check_hostname is False
    assert security.ssl_context.verify_mode is ssl.CERT_REQUIRED


def test_plaintext_has_no_security() -> None:
    assert kafka_security(KafkaSettings()) is None
    assert kafka_client_kwargs(KafkaSettings(bootstrap_servers="k:9092")) == {
        "bootstrap_servers": "k:9092"
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"security_protocol": "SASL_SSL", "sasl_username": "u"},  # no password
        {"security_protocol": "SASL_PLAINTEXT", "sasl_password": "p"},  # no user
        {"security_protocol": "PLAINTEXT", "ssl_cafile": CA},  # TLS file without TLS
        {"security_protocol": "SSL", "ssl_keyfile": KEY},  # key without certificate
    ],
)
def test_incomplete_kafka_security_is_refused_at_start_up(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        KafkaSettings(**bad)
    assert "MTM_KAFKA__" in str(info.value)


def test_production_refuses_a_placeholder_sasl_password() -> None:
    with pytest.raises(ValidationError) as info:
        BaseServiceSettings(
            env="production",
            kafka={
                "security_protocol": "SASL_SSL",
                "sasl_username": "u",
                "sasl_password": "changeme",
            },
        )
    assert "MTM_KAFKA__SASL_PASSWORD" in str(info.value)


def test_rediss_url_with_a_ca_bundle_password_and_client_certificate() -> None:
    settings = RedisSettings(
        url="rediss://redis.example:6380/2",
        username="mtm-escalation",
        password="redis-pass-1",
        ssl_ca_certs=CA,
        ssl_certfile=CERT,
        ssl_keyfile=KEY,
    )
    client = redis_client(settings, socket_timeout=2)
    pool = client.connection_pool
    assert pool.connection_class is SSLConnection
    kwargs = pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example", 6380, 2)
    assert (kwargs["username"], kwargs["password"]) == ("mtm-escalation", "redis-pass-1")
    assert kwargs["ssl_ca_certs"] == CA and kwargs["ssl_cert_reqs"] == "required"
    assert (kwargs["ssl_certfile"], kwargs["ssl_keyfile"]) == (CERT, KEY)
    assert kwargs["ssl_check_hostname"] is True and kwargs["socket_timeout"] == 2
    connection = pool.make_connection()
    assert connection.ca_certs == CA and connection.cert_reqs == ssl.CERT_REQUIRED


def test_a_password_in_the_url_wins_over_the_setting() -> None:
    client = redis_client(RedisSettings(url="redis://:from-url@r:6379/0", password="from-setting"))
    assert client.connection_pool.connection_kwargs["password"] == "from-url"


def test_plain_redis_url_gets_no_tls_options() -> None:
    client = redis_client(RedisSettings(url="redis://r:6379/0", password="p"))
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["password"] == "p" and not any(k.startswith("ssl") for k in kwargs)


def test_tls_files_need_a_rediss_url() -> None:
    with pytest.raises(ValidationError, match="rediss://"):
        RedisSettings(url="redis://r:6379/0", ssl_ca_certs=CA)


def test_production_refuses_a_placeholder_redis_password() -> None:
    with pytest.raises(ValidationError) as info:
        BaseServiceSettings(env="production", redis={"password": "changeme"})
    assert "MTM_REDIS__PASSWORD" in str(info.value)


async def _accepted(options: dict[str, Any]) -> None:
    """Build every kind of aiokafka client with these options (never started)."""
    producer, consumer = AIOKafkaProducer(**options), AIOKafkaConsumer(**options)
    admin = AIOKafkaAdminClient(**options)
    await producer.stop()
    await consumer.stop()
    await admin.close()
