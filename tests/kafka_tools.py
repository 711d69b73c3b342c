"""Plain aiokafka helpers for tests: produce raw records, read a topic from the start."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


async def produce_raw(
    bootstrap: str,
    topic: str,
    values: list[bytes],
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Produce records with a plain aiokafka producer (not the project's publisher)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[Any, Any]]], bool],
    timeout: float = 30,
) -> list[ConsumerRecord[Any, Any]]:
    """Read a topic from the start until `until(records)` holds; fail after `timeout` seconds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(records):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{topic}: condition not met within {timeout}s ({len(records)} records)"
                )
            batch = await consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


async def eventually(
    check: Callable[[], Any],
    *,
    timeout: float = 30,
    interval: float = 0.1,
    message: str = "condition",
) -> Any:
    """Poll an (async or plain) check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout}s")
        await asyncio.sleep(interval)


async def read_all(
    bootstrap: str, topic: str, *, timeout: float = 30
) -> list[ConsumerRecord[Any, Any]]:
    """Every record a topic holds right now (reads up to the end offsets taken at the start)."""
    from aiokafka import TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[Any, Any]] = []
        deadline = time.monotonic() + timeout
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: could not read to the end within {timeout}s")
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()
