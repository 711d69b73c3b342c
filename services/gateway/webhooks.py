"""The two webhook endpoints: read strictly, check the signature, deduplicate, publish, answer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER as SETTINGS_HEADER
from twilio.request_validator import RequestValidator

from services.gateway import rules
from services.gateway.forms import BadRequest, Form, parse_form, read_body
from services.gateway.metrics import GatewayMetrics
from services.gateway.settings import GatewaySection
from shared.clock import Clock
from shared.events import Event, topic_for
from shared.idempotency import Claims, ClaimState
from shared.logging import log_context

log = logging.getLogger("mtm.gateway")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNATURE_HEADER = "X-Twilio-Signature"
RETRY_AFTER = "5"


class Publisher(Protocol):
    """Publishes an event to its topic, keyed by its partition key (shared.broker.EventBus)."""

    async def publish(self, event: Event) -> None: ...


class Readiness(Protocol):
    """The last background check of the two stores (services.gateway.readiness)."""

    @property
    def kafka_ready(self) -> bool: ...

    @property
    def redis_ready(self) -> bool: ...


@dataclass(frozen=True)
class Endpoint:
    """One webhook kind: the fields it reads and the event it becomes."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[..., Event]


SMS = Endpoint("sms", rules.INBOUND_REQUIRED, rules.INBOUND_OPTIONAL, rules.inbound_event)
STATUS = Endpoint("status", rules.STATUS_REQUIRED, rules.STATUS_OPTIONAL, rules.status_event)


@dataclass
class Answer:
    outcome: str
    response: Response
    fields: dict[str, str] = field(default_factory=dict)


def _error(
    status: int, outcome: str, reason: str, headers: Mapping[str, str] | None = None
) -> Answer:
    return Answer(outcome, JSONResponse({"error": reason}, status_code=status, headers=headers))


def _twiml(outcome: str) -> Answer:
    return Answer(outcome, Response(EMPTY_TWIML, media_type="text/xml"))


def _unavailable(reason: str) -> Answer:
    # 503 (not 200): Twilio retries, so a webhook is never acknowledged and then lost.
    return _error(503, "unavailable", reason, {"Retry-After": RETRY_AFTER})


@dataclass
class Gateway:
    """Receives Twilio's webhooks; publishes each one once, or refuses it so that Twilio retries."""

    config: GatewaySection
    validator: RequestValidator
    claims: Claims
    publisher: Publisher
    readiness: Readiness
    metrics: GatewayMetrics
    clock: Clock
    shared_keys: Mapping[str, RequestValidator] = field(default_factory=dict)
    """Validators of the webhook SharedKeys, by key id (X-Twilio-Webhooks-Signature-Settings)."""
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    async def sms(self, request: Request) -> Response:
        return await self._handle(request, SMS)

    async def status(self, request: Request) -> Response:
        return await self._handle(request, STATUS)

    async def _handle(self, request: Request, endpoint: Endpoint) -> Response:
        started = time.perf_counter()
        try:
            answer = await self._answer(request, endpoint)
        except Exception:
            log.exception("webhook failed", extra={"endpoint": endpoint.name})
            answer = _error(500, "error", "internal error")
        elapsed = time.perf_counter() - started
        self.metrics.count(endpoint.name, answer.outcome, elapsed)
        log.info(
            "webhook answered",
            extra={
                "endpoint": endpoint.name,
                "outcome": answer.outcome,
                "status_code": answer.response.status_code,
                "ms": round(elapsed * 1000, 2),
                **answer.fields,
            },
        )
        return answer.response

    async def _answer(self, request: Request, endpoint: Endpoint) -> Answer:
        try:
            form = await self._read(request)
        except BadRequest as exc:
            return _error(400, "bad_request", str(exc))
        if not self._signed(request, form):
            return _error(403, "bad_signature", "invalid or missing X-Twilio-Signature")
        try:
            fields = form.fields(required=endpoint.required, optional=endpoint.optional)
            event = endpoint.build(fields, received_at=self.clock.now())
        except BadRequest as exc:
            return _error(400, "bad_request", str(exc))
        with log_context(event_id=str(event.event_id), correlation_id=event.correlation_id):
            answer = await self._deliver(event)
        answer.fields = {"message_sid": fields["MessageSid"], "event_id": str(event.event_id)}
        if "MessageStatus" in fields:
            answer.fields["message_status"] = fields["MessageStatus"]
        return answer

    async def _read(self, request: Request) -> Form:
        body = await read_body(
            request.stream(),
            content_length=request.headers.get("content-length"),
            max_bytes=self.config.max_body_bytes,
        )
        return parse_form(
            body,
            content_type=request.headers.get("content-type"),
            max_fields=self.config.max_form_fields,
        )

    def _signed(self, request: Request, form: Form) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        # Signed with the account's auth token (HMAC-SHA1), or with a SharedKey that the
        # settings header names, in the algorithm it names (HMAC-SHA256).
        key_id, algorithm = rules.signature_settings(request.headers.get(SETTINGS_HEADER))
        validator = self.validator if key_id is None else self.shared_keys.get(key_id)
        if validator is None:
            log.warning("webhook signed with an unknown shared key", extra={"key_id": key_id})
            return False
        return any(
            validator.validate(url, form, signature, algorithm)
            for url in rules.signed_url_candidates(self._url(request))
        )

    def _url(self, request: Request) -> str:
        """The URL Twilio called, as the request arrived (see rules.public_url)."""
        base = self.config.public_base_url
        if base is None:
            return str(request.url)
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        return rules.public_url(
            base,
            raw_path.decode("latin-1"),
            request.scope.get("query_string", b"").decode("latin-1"),
        )

    async def _deliver(self, event: Event) -> Answer:
        if not self.readiness.kafka_ready:
            # Refuse before enqueuing: a record buffered for a dead broker lands after the retry.
            return _unavailable("Kafka unavailable")
        if not self.readiness.redis_ready:
            return _unavailable("dedupe store unavailable")
        name = rules.dedupe_name(event)
        try:
            claim = await self.claims.claim(name, lease_seconds=self.config.claim_lease_seconds)
        except (RedisError, OSError):
            return _unavailable("dedupe store unavailable")
        if claim.state is ClaimState.DONE:
            return _twiml("duplicate")
        if claim.state is ClaimState.IN_PROGRESS:
            return _unavailable("the same webhook is being published")
        task = asyncio.create_task(self._publish(event, name))
        self._pending.add(task)  # also what a graceful shutdown waits for
        task.add_done_callback(self._pending.discard)
        try:
            # shield: on timeout the publish goes on, and its claim is settled when it ends.
            await asyncio.wait_for(
                asyncio.shield(task), timeout=self.config.publish_timeout_seconds
            )
        except TimeoutError:
            task.add_done_callback(self._settled_late)
            return _unavailable("Kafka publish timed out")
        except Exception as exc:
            log.warning("publish failed", extra={"error_class": type(exc).__name__})
            return _unavailable("Kafka publish failed")
        return _twiml("accepted")

    async def _publish(self, event: Event, name: str) -> None:
        started = time.perf_counter()
        try:
            await self.publisher.publish(event)
        except BaseException:
            # Give the SID back so that Twilio's retry publishes it.
            try:
                await self.claims.release(name)
            except Exception as exc:
                log.warning(
                    "claim not released; it expires with its lease",
                    extra={"error_class": type(exc).__name__},
                )
            raise
        self.metrics.publish_seconds.labels(topic_for(event)).observe(time.perf_counter() - started)
        try:
            await self.claims.complete(name)
        except Exception as exc:
            # Published all the same; a retry after the lease may publish it again (same event_id).
            log.warning(
                "published, but the dedupe record was not written",
                extra={"error_class": type(exc).__name__},
            )

    @staticmethod
    def _settled_late(task: asyncio.Task[None]) -> None:
        if task.cancelled():
            log.warning("late publish cancelled; Twilio's retry will publish it")
        elif (exc := task.exception()) is not None:
            log.warning(
                "late publish failed; Twilio's retry will publish it",
                extra={"error_class": type(exc).__name__},
            )
        else:
            log.info("late publish landed")

    async def drain(self, *, within: float) -> None:
        """Wait (a bounded time) for publishes still in flight, e.g. before shutting down."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=within)
