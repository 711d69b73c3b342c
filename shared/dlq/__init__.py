"""Dead letters: inspect them, and after a fix replay them to their original topic, once.

    python -m shared.dlq list mtm.patients            # counts by error class and partition
    python -m shared.dlq show mtm.patients --limit 5  # headers and a redacted preview
    python -m shared.dlq show mtm.patients --partition 0 --offset 120
    python -m shared.dlq replay mtm.patients --since 2h --dry-run
    python -m shared.dlq replay mtm.patients --error-class RuntimeError

TOPIC is a project topic (`mtm.patients`) or its dead-letter topic (`mtm.patients.dlq`); the
configured prefix (MTM_KAFKA__TOPIC_PREFIX) is added when missing. Connection settings are the
services' own (MTM_KAFKA__*, MTM_REDIS__*).

A record several services consume is dead-lettered once per consumer group that failed on it;
replay sends the original record back once (the ledger is keyed by the original topic, partition
and offset, in Redis under `<namespace>:dlq`), so a second run, or a second copy, replays nothing.
Every consumer is idempotent besides. A dead letter whose body had to be cut to fit
(`dlq_truncated`) is never replayed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared import topics
from shared.broker import DLQ_HEADERS, TRUNCATED_HEADER
from shared.connections import kafka_client_kwargs
from shared.dlq.preview import preview, safe_headers, safe_key
from shared.idempotency import Claims, ClaimState
from shared.settings import KafkaSettings

REPLAYED_FROM = "replayed_from"
"""Header on a replayed record: `<dlq topic>:<partition>:<offset>` it came from."""
LEDGER_TTL_SECONDS = 90 * 24 * 3600
"""How long a replay is remembered (longer than any dead-letter topic's retention)."""


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic."""

    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes
    raw_headers: tuple[tuple[str, bytes], ...]

    @property
    def headers(self) -> dict[str, str]:
        return {k: v.decode("utf-8", "replace") for k, v in self.raw_headers}

    @property
    def error_class(self) -> str:
        return self.headers.get("error_class", "?")

    @property
    def truncated(self) -> bool:
        return TRUNCATED_HEADER in self.headers

    @property
    def origin(self) -> str:
        """The original record: `topic:partition:offset`."""
        h = self.headers
        return f"{h.get('original_topic')}:{h.get('original_partition')}:{h.get('original_offset')}"


def topic_names(topic: str, prefix: str) -> tuple[str, str]:
    """(original topic, dead-letter topic) for a name given with or without prefix and suffix."""
    base = topic.removesuffix(topics.DLQ_SUFFIX)
    if prefix and not base.startswith(prefix):
        base = prefix + base
    return base, topics.dlq(base)


async def read_dead_letters(
    kafka: KafkaSettings,
    dlq_topic: str,
    *,
    partition: int | None = None,
    offset: int | None = None,
    within: float = 60,
) -> list[DeadLetter]:
    """Every record of the topic (or of one partition from `offset`) up to its current end."""
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, auto_offset_reset="earliest", **kafka_client_kwargs(kafka)
    )
    await consumer.start()
    try:
        numbers = consumer.partitions_for_topic(dlq_topic)
        if not numbers:
            await consumer._client.force_metadata_update()  # a topic new to this client
            numbers = consumer.partitions_for_topic(dlq_topic)
        if not numbers:
            raise SystemExit(f"no such topic: {dlq_topic}")
        parts = [TopicPartition(dlq_topic, p) for p in sorted(numbers)]
        if partition is not None:
            parts = [tp for tp in parts if tp.partition == partition]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        if offset is not None:
            for tp in parts:
                consumer.seek(tp, offset)
        ends = await consumer.end_offsets(parts)
        letters: list[DeadLetter] = []
        deadline = asyncio.get_running_loop().time() + within
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{dlq_topic} not read to its end within {within}s")
            batch = await consumer.getmany(*parts, timeout_ms=500)
            for tp, records in batch.items():
                letters.extend(
                    DeadLetter(
                        partition=tp.partition,
                        offset=r.offset,
                        timestamp=datetime.fromtimestamp(r.timestamp / 1000, UTC),
                        key=r.key,
                        value=r.value or b"",
                        raw_headers=tuple(r.headers or ()),
                    )
                    for r in records
                    if r.offset < ends[tp]
                )
        return letters
    finally:
        await consumer.stop()


def summary(letters: Sequence[DeadLetter]) -> list[dict[str, Any]]:
    """Counts by error class and original partition, the most recently dead-lettered first."""
    groups: dict[tuple[str, str], list[DeadLetter]] = {}
    for letter in letters:
        part = letter.headers.get("original_partition", "?")
        groups.setdefault((letter.error_class, part), []).append(letter)
    rows = [
        {
            "error_class": error_class,
            "original_partition": part,
            "count": len(group),
            "newest": max(d.timestamp for d in group).isoformat(timespec="seconds"),
            "oldest": min(d.timestamp for d in group).isoformat(timespec="seconds"),
        }
        for (error_class, part), group in groups.items()
    ]
    return sorted(rows, key=lambda r: (r["newest"], r["count"]), reverse=True)


def describe(letter: DeadLetter) -> dict[str, Any]:
    """What `show` prints for one dead letter: where, why, and a preview without PHI."""
    return {
        "partition": letter.partition,
        "offset": letter.offset,
        "dead_lettered_at": letter.timestamp.isoformat(timespec="seconds"),
        "key": safe_key(letter.key),
        "headers": safe_headers(letter.headers, keep=(*DLQ_HEADERS, TRUNCATED_HEADER)),
        "size": len(letter.value),
        "preview": preview(letter.value),
    }


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """origin -> why it was not replayed (truncated, foreign topic, being replayed elsewhere)."""


def replay_headers(letter: DeadLetter, dlq_topic: str) -> list[tuple[str, bytes]]:
    """The original record's headers (ours and the producer's empty content type dropped), plus
    where the replay came from."""
    ours = {*DLQ_HEADERS, TRUNCATED_HEADER, REPLAYED_FROM}
    kept = [
        (k, v)
        for k, v in letter.raw_headers
        if k not in ours and not (k == "content-type" and not v)
    ]
    source = f"{dlq_topic}:{letter.partition}:{letter.offset}"
    return [*kept, (REPLAYED_FROM, source.encode())]


async def replay(
    letters: Sequence[DeadLetter],
    *,
    base_topic: str,
    dlq_topic: str,
    producer: AIOKafkaProducer | None,
    ledger: Claims,
) -> ReplayReport:
    """Re-produce each original record once (None producer: a dry run that changes nothing)."""
    report = ReplayReport()
    for letter in letters:
        origin = letter.origin
        if origin in report.replayed or origin in report.already:
            continue  # another consumer group's copy of the same record
        if letter.truncated:
            report.skipped[origin] = "truncated"
            continue
        if letter.headers.get("original_topic") != base_topic:
            report.skipped[origin] = "original_topic is not " + base_topic
            continue
        if producer is None:
            done = await ledger.result(origin) is not None
            (report.already if done else report.replayed).append(origin)
            continue
        claim = await ledger.claim(origin, lease_seconds=60)
        if claim.state is ClaimState.DONE:
            report.already.append(origin)
            continue
        if claim.state is ClaimState.IN_PROGRESS:
            report.skipped[origin] = "being replayed by another run"
            continue
        try:
            await producer.send_and_wait(
                base_topic,
                letter.value,
                key=letter.key,
                headers=replay_headers(letter, dlq_topic),
            )
        except BaseException:
            await ledger.release(origin)
            raise
        await ledger.complete(origin, f"{dlq_topic}:{letter.partition}:{letter.offset}")
        report.replayed.append(origin)
    return report


_DURATION = re.compile(r"^(\d+)([smhd])$")


def parse_since(text: str, *, now: datetime) -> datetime:
    """`90s`, `30m`, `2h`, `7d` ago, or an ISO 8601 instant."""
    if match := _DURATION.match(text.strip()):
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"--since: not a duration (2h) or an ISO instant: {text}") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
