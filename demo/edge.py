"""Twilio's side of the gateway: a patient's or clinician's text arrives as a signed webhook at
the gateway's own ASGI app (in process, no socket), which checks the signature, dedupes by
MessageSid and publishes InboundSmsReceived, exactly as in production.

The gateway is wired here from its parts as `services.gateway.app.create_app` wires them, with
two swaps: its Redis is the in-memory one, and its readiness is "always ready" (the in-memory
broker cannot be down, and the production monitor would try to reach a Kafka socket)."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from demo.steps import Inbound
from services.gateway.endpoints import make_app
from services.gateway.metrics import GatewayMetrics
from services.gateway.settings import GatewaySettings
from services.gateway.webhooks import SIGNATURE_HEADER, Gateway
from shared.broker import EventBus
from shared.clock import Clock
from shared.idempotency import Claims
from shared.topics import RedisPrefix, redis_prefix

BASE_URL = "http://gateway.demo"
ACCOUNT_SID = "AC" + "0" * 32


class AlwaysReady:
    """Readiness of an in-memory broker and Redis: always up."""

    kafka_ready = True
    redis_ready = True
    ready = True

    def snapshot(self) -> dict[str, bool]:
        return {"kafka": True, "redis": True}


class Edge:
    """Posts signed webhooks to the gateway's app."""

    def __init__(
        self, settings: GatewaySettings, *, bus: EventBus, redis: Redis, clock: Clock
    ) -> None:
        config = settings.gateway
        token = settings.twilio.auth_token.get_secret_value()
        self.signer = RequestValidator(token)
        metrics, readiness = GatewayMetrics(), AlwaysReady()
        gateway = Gateway(
            config=config,
            validator=RequestValidator(token),
            claims=Claims(
                redis,
                redis_prefix(settings.redis.namespace, RedisPrefix.GATEWAY),
                done_ttl_seconds=config.dedupe_ttl_seconds,
            ),
            publisher=bus,
            readiness=readiness,
            metrics=metrics,
            clock=clock,
        )
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=make_app(gateway, readiness, metrics)),
            base_url=BASE_URL,
        )

    async def text(self, sms: Inbound) -> None:
        """An inbound text, as Twilio posts it."""
        await self._post(
            "/twilio/sms",
            {
                "MessageSid": sms.message_sid,
                "AccountSid": ACCOUNT_SID,
                "From": sms.from_phone,
                "To": sms.to_phone,
                "Body": sms.body,
                "NumMedia": "0",
            },
        )

    async def receipt(self, message_sid: str, status: str = "delivered") -> None:
        """A delivery status callback for one of our messages, as the carrier reports it."""
        form = {"MessageSid": message_sid, "AccountSid": ACCOUNT_SID, "MessageStatus": status}
        await self._post("/twilio/status", form)

    async def _post(self, path: str, form: dict[str, str]) -> None:
        """A signed webhook; the gateway must accept it (TwiML 200)."""
        url = BASE_URL + path
        signature = self.signer.compute_signature(url, form)
        answer = await self.client.post(url, data=form, headers={SIGNATURE_HEADER: signature})
        if answer.status_code != 200:
            raise RuntimeError(f"the gateway refused a webhook: {answer.status_code} {answer.text}")

    async def close(self) -> None:
        await self.client.aclose()
