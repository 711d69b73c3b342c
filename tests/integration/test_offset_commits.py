"""Batched offset commits against the real Kafka: handled records are committed together, a
record to be re-read is never committed past, and a graceful stop commits what was handled."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import FastStream

from shared import topics
from shared.broker import TransientError, committer_of, make_broker, subscriber
from shared.events import PatientsEvent
from shared.settings import BaseServiceSettings
from shared.testing.factories import sample
from tests.kafka_tools import eventually, produce_raw

pytestmark = pytest.mark.integration


def _settings(kafka: str, prefix: str, interval_ms: int = 100) -> BaseServiceSettings:
    return BaseServiceSettings(
        kafka={
            "bootstrap_servers": kafka,
            "topic_prefix": prefix,
            "retry_backoff_seconds": 0.05,
            "commit_interval_ms": interval_ms,
        }
    )


def _records(n: int) -> list[bytes]:
    from shared.events import PatientEnrolled

    return [
        sample(PatientEnrolled, patient_id=f"p-{i}").model_dump_json().encode() for i in range(n)
    ]


async def test_handled_records_are_committed_in_batches_not_one_request_each(
    kafka: str, prefix: str
) -> None:
    topic, group, n = prefix + topics.PATIENTS, f"{prefix}batched", 400
    broker = make_broker(_settings(kafka, prefix), client_id="batched")
    handled: list[str] = []

    @subscriber(broker, topic, group=group)
    async def on_patient(event: PatientsEvent) -> None:
        handled.append(event.patient_id)

    async with broker:
        await broker.start()
        await produce_raw(kafka, topic, _records(n), key=b"same-partition")
        await eventually(lambda: len(handled) == n, timeout=60, message="all records handled")
        partition = await _partition_of(kafka, topic)
        await eventually(
            lambda: _committed_on(kafka, group, topic, partition, n),
            timeout=10,
            message="the offset after the last record committed",
        )
        committer = committer_of(broker)
        assert committer is not None
        # One request per tick instead of one per record.
        assert 0 < committer.commits < n / 4, committer.commits
    assert handled == [f"p-{i}" for i in range(n)]


async def test_a_record_to_be_re_read_is_never_committed_past(kafka: str, prefix: str) -> None:
    topic, group = prefix + topics.PATIENTS, f"{prefix}reread"
    broker = make_broker(_settings(kafka, prefix, interval_ms=50), client_id="reread")
    handled: list[str] = []
    stuck = asyncio.Event()

    @subscriber(broker, topic, group=group)
    async def on_patient(event: PatientsEvent) -> None:
        if event.patient_id == "p-2" and not stuck.is_set():
            raise TransientError("redis away")  # re-read after a back-off, never committed
        handled.append(event.patient_id)

    async with broker:
        await broker.start()
        await produce_raw(kafka, topic, _records(5), key=b"same-partition")
        await eventually(lambda: handled == ["p-0", "p-1"], message="the first two handled")
        partition = await _partition_of(kafka, topic)
        await asyncio.sleep(0.5)  # ten commit ticks while p-2 keeps failing
        first = await _committed_offset(kafka, group, topic, partition)
        records = await _offsets(kafka, topic, partition)
        assert first == records["p-2"], "committed up to p-2, not past it"
        stuck.set()
        await eventually(lambda: len(handled) == 5, message="p-2 handled once Redis is back")
        await eventually(
            lambda: _committed_on(kafka, group, topic, partition, records["p-4"] + 1),
            timeout=10,
            message="committed past the last record",
        )
    assert handled == ["p-0", "p-1", "p-2", "p-3", "p-4"]


async def test_a_graceful_stop_commits_what_was_handled(kafka: str, prefix: str) -> None:
    topic, group = prefix + topics.PATIENTS, f"{prefix}graceful"
    # A long interval: only the shutdown flush can have committed.
    broker = make_broker(_settings(kafka, prefix, interval_ms=5000), client_id="graceful")
    handled: list[str] = []

    @subscriber(broker, topic, group=group)
    async def on_patient(event: PatientsEvent) -> None:
        handled.append(event.patient_id)

    committer = committer_of(broker)
    assert committer is not None
    app = FastStream(broker)
    app.on_shutdown(committer.close)
    await produce_raw(kafka, topic, _records(30), key=b"same-partition")
    await app.start()
    try:
        await eventually(lambda: len(handled) == 30, message="all handled")
    finally:
        await app.stop()
    partition = await _partition_of(kafka, topic)
    offsets = await _offsets(kafka, topic, partition)
    assert await _committed_offset(kafka, group, topic, partition) == offsets["p-29"] + 1


async def _partition_of(kafka: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        for p in sorted(consumer.partitions_for_topic(topic) or ()):
            tp = TopicPartition(topic, p)
            if (await consumer.end_offsets([tp]))[tp] > 0:
                return p
        raise AssertionError("no partition holds the records")
    finally:
        await consumer.stop()


async def _offsets(kafka: str, topic: str, partition: int) -> dict[str, int]:
    """patient_id -> offset, on the partition the records went to."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        found: dict[str, int] = {}
        while await consumer.position(tp) < end:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    found[json.loads(r.value)["patient_id"]] = r.offset
        return found
    finally:
        await consumer.stop()


async def _committed_offset(kafka: str, group: str, topic: str, partition: int) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        committed = await consumer.committed(TopicPartition(topic, partition))
        return -1 if committed is None else committed
    finally:
        await consumer.stop()


async def _committed_on(kafka: str, group: str, topic: str, partition: int, offset: int) -> bool:
    return await _committed_offset(kafka, group, topic, partition) == offset
