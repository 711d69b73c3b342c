"""How every client reaches Kafka and Redis: TLS, SASL and AUTH from the settings.

The services' broker (`shared.broker.make_broker`), plain aiokafka clients (`shared.admin`,
`shared.dlq`) and every Redis client are built from these, so a deployment that turns on
SASL_SSL or rediss:// turns it on everywhere. See docs/security.md.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from redis.asyncio import Redis

from shared.settings import KafkaSettings, RedisSettings

_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def kafka_ssl_context(settings: KafkaSettings) -> ssl.SSLContext:
    """Verify the broker against `ssl_cafile` (or the system CAs); present a client certificate
    when one is configured."""
    context = ssl.create_default_context(cafile=settings.ssl_cafile)
    context.check_hostname = settings.ssl_check_hostname
    if settings.ssl_certfile:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    return context


def kafka_security(settings: KafkaSettings) -> BaseSecurity | None:
    """FastStream's security object for the configured protocol (None: PLAINTEXT)."""
    if settings.security_protocol == "PLAINTEXT":
        return None
    use_ssl = settings.security_protocol in ("SSL", "SASL_SSL")
    context = kafka_ssl_context(settings) if use_ssl else None
    if settings.security_protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    cls = _SASL[settings.sasl_mechanism or "PLAIN"]
    return cls(
        username=settings.sasl_username or "",
        password=password,
        ssl_context=context,
        use_ssl=use_ssl,
    )


def kafka_client_kwargs(settings: KafkaSettings) -> dict[str, Any]:
    """Arguments for a plain aiokafka client (producer, consumer, admin): servers and security."""
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        **parse_security(kafka_security(settings)),
    }


def redis_options(settings: RedisSettings) -> dict[str, Any]:
    """Connection options besides the URL: AUTH credentials and, for rediss://, TLS files."""
    options: dict[str, Any] = {}
    if settings.username:
        options["username"] = settings.username
    if settings.password is not None:
        options["password"] = settings.password.get_secret_value()
    if settings.tls:
        options["ssl_cert_reqs"] = "required"
        options["ssl_check_hostname"] = settings.ssl_check_hostname
        if settings.ssl_ca_certs:
            options["ssl_ca_certs"] = settings.ssl_ca_certs
        if settings.ssl_certfile:
            options["ssl_certfile"] = settings.ssl_certfile
            options["ssl_keyfile"] = settings.ssl_keyfile
    return options


def redis_client(settings: RedisSettings, **kwargs: Any) -> Redis:
    """An asyncio Redis client; nothing connects until the first command."""
    return Redis.from_url(settings.url.get_secret_value(), **{**redis_options(settings), **kwargs})
