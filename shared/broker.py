"""The Kafka broker every service uses: acks=all, idempotent producer, commit after handling,
and dead-lettering so that a bad record never stops a consumer.

A record goes to `<topic>.dlq` (original bytes and headers, plus `error`, `error_class`,
`attempt`, `original_topic`, `original_partition`, `original_offset`) when it cannot be decoded,
fails validation, or makes the handler raise `dlq_after_attempts` times in a row. An
infrastructure error (Redis or Kafka unreachable) is never a reason to dead-letter: the record is
re-read after a back-off until the infrastructure is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from faststream import AckPolicy, BaseMiddleware
from faststream.exceptions import HandlerException, NackMessage
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.message import AckStatus
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared import topics
from shared.commits import OffsetCommitter
from shared.connections import kafka_security
from shared.events import Event, OperationalWarning, topic_for
from shared.ids import IdSpace
from shared.logging import log_context, redact_text
from shared.settings import BaseServiceSettings, KafkaSettings

log = logging.getLogger("mtm.broker")


DLQ_HEADERS = (
    "error",
    "error_class",
    "attempt",
    "original_topic",
    "original_partition",
    "original_offset",
    "consumer_group",
)
"""Headers every dead letter carries, besides the original record's own. A record several
services consume is dead-lettered once per consumer group that could not process it;
`consumer_group` says which one."""
TRUNCATED_BODY = 512 * 1024
"""A dead letter too large to carry with its headers keeps this much of its body..."""
MAX_KEY = 1024
"""... and at most this much of its key."""
TRUNCATED_HEADER = "dlq_truncated"
"""Set on a dead letter that had to be cut to fit: the original sizes, `value=N key=M` bytes."""


class InvalidEvent(ValueError):
    """A handler found a record it can never process (semantically invalid); dead-letter at once."""


class TransientError(RuntimeError):
    """A handler hit a temporary condition; re-read the record later, never dead-letter."""


INVALID = (ValidationError, json.JSONDecodeError, UnicodeDecodeError, InvalidEvent)
TRANSIENT = (
    TransientError,
    RedisConnectionError,
    RedisTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    ConnectionError,
    TimeoutError,
)


MAX_REASON = 1000
"""The `error` header is cut to this many characters."""


def describe(exc: BaseException) -> str:
    """A reason for the dead-letter header that names fields, never their values."""
    return _describe(exc)[:MAX_REASON]


# Pydantic messages that quote the input: replaced by ones that do not.
_QUOTING = {
    "union_tag_invalid": "event_type is not one of this topic's event types",
    "union_tag_not_found": "event_type missing",
}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        parts = [
            f"{'.'.join(str(p)[:64] for p in err['loc']) or '<root>'}: "
            + _QUOTING.get(err["type"], err["msg"])
            for err in errors[:10]
        ]
        # A location can be a key of a free-form mapping, i.e. the sender's text.
        return redact_text(f"validation failed ({exc.error_count()} errors): " + "; ".join(parts))
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON: {exc.msg} at position {exc.pos}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8: {exc.reason} at byte {exc.start}"
    return redact_text(str(exc)[:500]) or type(exc).__name__


class _DeadLetter(Exception):
    def __init__(self, cause: BaseException, attempt: int) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause
        self.attempt = attempt


Salvage = Callable[[bytes], Awaitable[None]]
"""Reads a record that failed validation for what must not be lost with it (a readable risk
signal) and acts on that part; idempotent, since the record may be re-read."""

SAFETY_LANES = frozenset({topics.SYMPTOMS, topics.SMS_INBOUND})
"""Topics whose dead letters may hide a patient at risk (a questionnaire's item 9, crisis words
in a text): each one raises an OperationalWarning at once."""


class DeadLetterPolicy:
    """Creates the per-message middleware; holds the broker and the retry settings."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.max_attempts = settings.dlq_after_attempts
        self.backoff = settings.retry_backoff_seconds
        self.prefix = settings.topic_prefix
        self.broker: KafkaBroker | None = None
        self.transient_failures: dict[tuple[str, int, int], int] = {}
        self.dead_lettered = 0
        self.salvagers: dict[str, Salvage] = {}
        """By consumer group: what to rescue from a record of that group that fails validation."""
        interval = settings.commit_interval_ms / 1000
        self.committer = OffsetCommitter(interval) if interval > 0 else None
        """Batches the commits of handled records (None: FastStream commits each record)."""

    def __call__(self, msg: Any, /, *, context: Any) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(msg, context=context, policy=self)

    def delay(self, attempt: int) -> float:
        return min(self.backoff * (2 ** (attempt - 1)), 5.0)

    def salvage(self, group: str, salvage: Salvage) -> None:
        """Before a record of `group` that fails validation is dead-lettered, `salvage` runs on
        its bytes; if it raises, the record is re-read later instead (nothing is lost)."""
        self.salvagers[group] = salvage

    def base_topic(self, topic: str) -> str:
        return topic.removeprefix(self.prefix) if self.prefix else topic


def _is_utf8(value: bytes | None) -> bool:
    if value is None:
        return False
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


def _records(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, tuple | list) else [raw]


class DeadLetterMiddleware(BaseMiddleware):
    """Retries, dead-letters and sets the log context of one record."""

    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy
        self.message: Any = None

    def _handled(self) -> None:
        """The record is done with (handled or dead-lettered): its offset goes to the batch
        committer, and FastStream's acknowledgement, seeing it committed, sends no commit of
        its own. A record to re-read (NackMessage) never gets here."""
        committer, message = self.policy.committer, self.message
        if committer is None or message is None or message.committed:
            return
        consumer = getattr(message, "consumer", None)
        if not committer.applies_to(consumer):
            return
        for record in _records(message.raw_message):
            committer.handled(consumer, record)
        message.committed = AckStatus.ACKED

    async def on_receive(self) -> None:
        # Kafka header values are any bytes; FastStream decodes them as strict UTF-8 and, when
        # that fails, neither handles the record nor commits it (its acknowledgement re-parses
        # the same headers). Header values are metadata: read them with replacement characters,
        # before any parser sees them. The body is still checked strictly.
        for record in _records(self.msg):
            headers = getattr(record, "headers", None)
            if headers and not all(_is_utf8(v) for _, v in headers):
                record.headers = [
                    (k, (v or b"").decode("utf-8", "replace").encode()) for k, v in headers
                ]
        await super().on_receive()

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        self.message = msg
        decoded = await msg.decode()
        ids = decoded if isinstance(decoded, dict) else {}
        with log_context(
            event_id=str(ids.get("event_id")) if ids.get("event_id") else None,
            correlation_id=str(ids.get("correlation_id")) if ids.get("correlation_id") else None,
        ):
            attempt = 0
            while True:
                attempt += 1
                try:
                    result = await call_next(msg)
                except HandlerException:
                    raise
                except INVALID as exc:
                    raise _DeadLetter(exc, attempt) from exc
                except TRANSIENT:
                    raise
                except Exception as exc:
                    if attempt >= self.policy.max_attempts:
                        raise _DeadLetter(exc, attempt) from exc
                    log.warning(
                        "handler failed, retrying",
                        extra={"error_class": type(exc).__name__, "attempt": attempt},
                    )
                    await asyncio.sleep(self.policy.delay(attempt))
                else:
                    self._forget_transient()
                    self._handled()
                    return result

    async def after_processed(
        self, exc_type: Any = None, exc_val: Any = None, exc_tb: Any = None
    ) -> bool:
        if exc_val is None or isinstance(exc_val, HandlerException | asyncio.CancelledError):
            return False
        if not isinstance(exc_val, Exception):
            return False
        if isinstance(exc_val, TRANSIENT):
            await self._back_off(exc_val)
        cause, attempt = (
            (exc_val.cause, exc_val.attempt) if isinstance(exc_val, _DeadLetter) else (exc_val, 1)
        )
        if self._key()[0].endswith(topics.DLQ_SUFFIX):
            # A dead letter that fails again stays where it is: never re-queue it onto itself.
            log.error(
                "dead-letter consumer failed; record left in place",
                extra={"error_class": type(cause).__name__},
            )
            self._handled()
            return True
        try:
            if isinstance(cause, INVALID):
                await self._salvage()
            for record in _records(self.msg):
                await self._dead_letter(record, cause, attempt)
        except Exception as publish_error:
            log.error(
                "dead-letter publish failed; record will be re-read",
                extra={"error_class": type(publish_error).__name__},
            )
            await asyncio.sleep(self.policy.delay(2))
            raise NackMessage() from publish_error
        self._handled()
        return True

    async def _salvage(self) -> None:
        salvage = self.policy.salvagers.get(self._group())
        if salvage is None:
            return
        for record in _records(self.msg):
            value = getattr(record, "value", None)
            if not value:
                continue
            try:
                await salvage(value)
            except TRANSIENT:
                raise  # re-read later: what it would have rescued must not be lost
            except Exception as exc:
                log.error("salvage of an invalid record failed", extra={"error": describe(exc)})

    async def _back_off(self, exc: BaseException) -> None:
        key = self._key()
        failures = self.policy.transient_failures.get(key, 0) + 1
        self.policy.transient_failures[key] = failures
        log.warning(
            "infrastructure unavailable, record will be re-read",
            extra={"error_class": type(exc).__name__, "attempt": failures},
        )
        await asyncio.sleep(self.policy.delay(failures))
        raise NackMessage() from exc

    def _key(self) -> tuple[str, int, int]:
        record = _records(self.msg)[0]
        return (
            getattr(record, "topic", ""),
            getattr(record, "partition", 0),
            getattr(record, "offset", 0),
        )

    def _group(self) -> str:
        handler = self.context.get_local("handler_")
        return str(getattr(handler, "group_id", None) or "")

    def _forget_transient(self) -> None:
        if self.policy.transient_failures:
            self.policy.transient_failures.pop(self._key(), None)

    async def _dead_letter(self, record: Any, cause: BaseException, attempt: int) -> None:
        broker = self.policy.broker
        if broker is None:
            raise RuntimeError("dead-letter policy has no broker")
        topic = getattr(record, "topic", "unknown")
        headers = {
            k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
            for k, v in (getattr(record, "headers", None) or ())
        }
        headers.update(
            {
                "error": describe(cause),
                "error_class": type(cause).__name__,
                "attempt": str(attempt),
                "original_topic": topic,
                "original_partition": str(getattr(record, "partition", "")),
                "original_offset": str(getattr(record, "offset", "")),
                "consumer_group": self._group(),
            }
        )
        value = getattr(record, "value", None)
        value = value if value is not None else b""
        key = getattr(record, "key", None)
        try:
            await broker.publish(value, topic=topics.dlq(topic), key=key, headers=headers)
        except MessageSizeTooLargeError:
            # The record fitted on its own, but not with the dead-letter headers: it would be
            # re-read forever and block its partition. Keep a marked head of it instead; such a
            # record cannot be replayed (shared.dlq skips it), only inspected.
            slim = {k: headers[k] for k in DLQ_HEADERS}
            slim[TRUNCATED_HEADER] = f"value={len(value)} key={len(key or b'')}"
            await broker.publish(
                value[:TRUNCATED_BODY],
                topic=topics.dlq(topic),
                key=key[:MAX_KEY] if key else key,
                headers=slim,
            )
        self.policy.dead_lettered += 1
        if self.policy.base_topic(topic) in SAFETY_LANES:
            await self._warn_safety_lane(topic, headers)
        log.error(
            "record dead-lettered",
            extra={
                "topic": topic,
                "partition": getattr(record, "partition", None),
                "offset": getattr(record, "offset", None),
                "error_class": type(cause).__name__,
                "attempt": attempt,
                "consumer_group": headers["consumer_group"],
            },
        )

    async def _warn_safety_lane(self, topic: str, headers: dict[str, str]) -> None:
        """A dead letter on a lane a patient at risk travels on: an operator must look now."""
        broker = self.policy.broker
        assert broker is not None
        where = ":".join(
            headers[k] for k in ("original_partition", "original_offset", "consumer_group")
        )
        warning = OperationalWarning(
            event_id=WARNING_IDS.id(topic, where),
            warning="safety_lane_dead_letter",
            source="broker",
            detail=f"{self.policy.base_topic(topic)} {where}: {headers['error_class']}"[:256],
        )
        await broker.publish(
            warning.model_dump(mode="json"),
            topic=self.policy.prefix + topics.ALERTS,
            key=warning.kafka_key(),
        )


WARNING_IDS = IdSpace(UUID("3f6d3f7e-9a54-4c1e-9d0e-6f1b2b8a4c11"), source="broker")

_security = kafka_security  # the name older callers know


def make_broker(settings: BaseServiceSettings, *, client_id: str, **kwargs: Any) -> KafkaBroker:
    """A broker with the project's delivery rules: acks=all, idempotence, commit after, DLQ."""
    policy = DeadLetterPolicy(settings.kafka)
    broker = KafkaBroker(
        settings.kafka.bootstrap_servers,
        client_id=f"{settings.kafka.client_id}-{client_id}",
        acks="all",
        enable_idempotence=True,
        ack_policy=AckPolicy.ACK,
        middlewares=[policy],
        security=kafka_security(settings.kafka),
        # FastStream's own lines ("Received", "Processed", handler errors) as JSON through the
        # project's redacting logger; the two per record only at DEBUG (at INFO they were two
        # unstructured lines per record).
        logger=logging.getLogger("mtm.kafka"),
        log_level=logging.DEBUG,
        **kwargs,
    )
    policy.broker = broker
    return broker


def policy_of(broker: KafkaBroker) -> DeadLetterPolicy | None:
    """The dead-letter policy of a broker made by make_broker."""
    for middleware in broker.middlewares:
        if isinstance(middleware, DeadLetterPolicy):
            return middleware
    return None


def committer_of(broker: KafkaBroker) -> OffsetCommitter | None:
    """The batch committer of a broker made by make_broker (None: per-record commits)."""
    policy = policy_of(broker)
    return policy.committer if policy is not None else None


def group_id(service_group: str, topic: str, *, prefix: str = "") -> str:
    """The consumer group of one service on one topic.

    One group per (service, topic): a group spread over several topics rebalances all of them
    whenever one consumer joins. The topic prefix keeps concurrent test runs apart."""
    return f"{prefix}{service_group}-{topic}"


BULK_READ: dict[str, Any] = {"fetch_min_bytes": 64 * 1024, "fetch_max_wait_ms": 100}
"""Fetch settings of a lane no P0 alert starts or travels on: a fetch waits up to 100 ms for 64 KiB
instead of coming back with each record as it arrives. At a few hundred records a second a
consumer then spends a third of the CPU per record (docs/performance.md). The P0 path keeps
fetching at once: mtm.symptoms (C-SSRS, severe side effects) and mtm.sms.inbound (crisis
language, a clinician's ACK) to the alert, mtm.alerts to escalation, mtm.notify.urgent to the
page."""


def subscriber(
    router: KafkaRouter | KafkaBroker, topic: str, *, group: str, bulk: bool = False, **kwargs: Any
) -> Any:
    """Subscribe with the project's defaults: a group per service, commit after handling, read from
    the earliest record a new group has not seen, never publish a reply. `bulk`: a lane off the
    P0 path, fetched in batches (BULK_READ)."""
    if bulk:
        kwargs = {**BULK_READ, **kwargs}
    kwargs.setdefault("auto_offset_reset", "earliest")
    # FastStream answers a record that carries a `reply_to` header by publishing the handler's
    # result to that topic: any producer could make a service write to a topic of its choosing.
    kwargs.setdefault("no_reply", True)
    return router.subscriber(topic, group_id=group, ack_policy=AckPolicy.ACK, **kwargs)


class EventBus:
    """Publishes events keyed by their partition key, on topics under the configured prefix."""

    def __init__(self, broker: KafkaBroker, *, prefix: str = "") -> None:
        self.broker = broker
        self.prefix = prefix

    def topic(self, base: str) -> str:
        return self.prefix + base

    async def publish(self, event: Event, *, topic: str | None = None) -> None:
        await self.broker.publish(
            event.model_dump(mode="json"),
            topic=self.topic(topic or topic_for(event)),
            key=event.kafka_key(),
            correlation_id=event.correlation_id or str(event.event_id),
        )
