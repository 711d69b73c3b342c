"""A gateway app with fakes behind it (fakeredis, an in-memory publisher), and signed requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from aiokafka.errors import KafkaConnectionError
from fakeredis import FakeAsyncRedis
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from services.gateway.endpoints import make_app
from services.gateway.metrics import GatewayMetrics
from services.gateway.settings import GatewaySection
from services.gateway.webhooks import Gateway
from shared.clock import SystemClock
from shared.events import Event
from shared.idempotency import Claims

TOKEN = "unit-test-auth-token"
PUBLIC = "https://sms.clinic.example"
FORM = "application/x-www-form-urlencoded"
E = TypeVar("E", bound=Event)
SID = "SM" + "0123456789abcdef" * 2
SENDER = "+15125550143"
OURS = "+15125550100"
TEXT = "Yes I took my lithium"

Params = Mapping[str, str] | Sequence[tuple[str, str]]


def inbound(**overrides: str) -> dict[str, str]:
    """The fields of an inbound SMS webhook as Twilio posts them."""
    params = {
        "MessageSid": SID,
        "SmsSid": SID,
        "SmsMessageSid": SID,
        "AccountSid": "AC" + "1" * 32,
        "From": SENDER,
        "To": OURS,
        "Body": TEXT,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCity": "AUSTIN",
        "FromState": "TX",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    params.update(overrides)
    return params


def status(message_status: str = "delivered", **overrides: str) -> dict[str, str]:
    """The fields of a delivery status callback."""
    params = {
        "MessageSid": SID,
        "SmsSid": SID,
        "MessageStatus": message_status,
        "SmsStatus": message_status,
        "AccountSid": "AC" + "1" * 32,
        "From": OURS,
        "To": SENDER,
        "ApiVersion": "2010-04-01",
    }
    params.update(overrides)
    return params


def sign(url: str, params: Params, token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for these params posted to `url`."""
    multi: dict[str, list[str]] = {}
    for key, value in params.items() if isinstance(params, Mapping) else params:
        multi.setdefault(key, []).append(value)
    return RequestValidator(token).compute_signature(url, _Multi(multi))


class _Multi(dict[str, list[str]]):
    def getall(self, key: str) -> list[str]:
        return self[key]


@dataclass
class FakePublisher:
    """Records what would go to Kafka; can fail, or hold publishes until released."""

    events: list[Event] = field(default_factory=list)
    fail: bool = False
    hold: asyncio.Event | None = None

    async def publish(self, event: Event) -> None:
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise KafkaConnectionError("broker down")
        self.events.append(event)

    def all_of(self, cls: type[E]) -> list[E]:
        """The recorded events, every one of which must be a `cls`."""
        out = [e for e in self.events if isinstance(e, cls)]
        assert len(out) == len(self.events), self.events
        return out


@dataclass
class FakeProbe:
    kafka_ready: bool = True
    redis_ready: bool = True

    @property
    def ready(self) -> bool:
        return self.kafka_ready and self.redis_ready

    def snapshot(self) -> dict[str, bool]:
        return {"kafka": self.kafka_ready, "redis": self.redis_ready}


@dataclass
class Harness:
    """The app, its fakes, and a client that posts like Twilio."""

    gateway: Gateway
    publisher: FakePublisher
    probe: FakeProbe
    metrics: GatewayMetrics
    redis: Any
    client: httpx.AsyncClient

    async def post(
        self,
        path: str,
        params: Params,
        *,
        signed_for: str | None = None,
        signature: str | None = None,
        query: str = "",
        **kwargs: Any,
    ) -> httpx.Response:
        """POST form params to `path`, signed for the public URL (or `signed_for`) unless told."""
        target = path + (f"?{query}" if query else "")
        url = signed_for or (PUBLIC + target)
        headers = {"Content-Type": FORM, "X-Twilio-Signature": signature or sign(url, params)}
        headers.update(kwargs.pop("headers", {}))
        return await self.client.post(
            target, content=urlencode(list(_pairs(params))), headers=headers, **kwargs
        )

    def count(self, endpoint: str, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "mtm_gateway_webhooks_total", {"endpoint": endpoint, "outcome": outcome}
        )
        return value or 0.0


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


@asynccontextmanager
async def harness(
    *, redis: Redis | None = None, shared_keys: Mapping[str, str] | None = None, **config: Any
) -> AsyncIterator[Harness]:
    """A gateway on fakes; `config` overrides GatewaySection fields; `shared_keys`: webhook
    SharedKey secrets by key id."""
    section = GatewaySection(**{"public_base_url": PUBLIC, **config})
    store = redis if redis is not None else FakeAsyncRedis()
    publisher, probe, metrics = FakePublisher(), FakeProbe(), GatewayMetrics()
    gateway = Gateway(
        config=section,
        validator=RequestValidator(TOKEN),
        claims=Claims(store, "unit:gateway"),
        publisher=publisher,
        readiness=probe,
        metrics=metrics,
        clock=SystemClock(),
        shared_keys={k: RequestValidator(v) for k, v in (shared_keys or {}).items()},
    )
    app = make_app(gateway, probe, metrics)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Harness(gateway, publisher, probe, metrics, store, client)
    await gateway.drain(within=5)
    await store.aclose()
