"""Kafka plumbing of the hostile run: a batching producer, a tail of the services' outputs,
end offsets and committed offsets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.hostile.strategies import Raw


@dataclass(frozen=True)
class Placed:
    """Where a produced record landed."""

    topic: str
    partition: int
    offset: int


async def produce_all(bootstrap: str, records: Iterable[tuple[str, Raw]]) -> list[Placed]:
    """Send every record without waiting for each (batched), then wait for them all."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=512 * 1024,
        max_request_size=1_048_576,
        request_timeout_ms=60_000,
    )
    await producer.start()
    try:
        futures = [
            await producer.send(topic, r.value, key=r.key, headers=list(r.headers))
            for topic, r in records
        ]
        await producer.flush()
        placed = []
        for future in futures:
            meta = await future
            placed.append(Placed(meta.topic, meta.partition, meta.offset))
        return placed
    finally:
        await producer.stop()


class Tail:
    """Everything published on some topics from the beginning, kept as it arrives."""

    def __init__(self, bootstrap: str, names: list[str]) -> None:
        self.bootstrap, self.names = bootstrap, names
        self.values: dict[str, list[bytes]] = {n: [] for n in names}
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            max_partition_fetch_bytes=2**21,
        )
        await consumer.start()
        parts = []
        for name in self.names:
            await consumer._client.force_metadata_update()
            parts += [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, recs in batch.items():
                self.values[tp.topic].extend(r.value or b"" for r in recs)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


@asynccontextmanager
async def tail(bootstrap: str, names: list[str]) -> AsyncIterator[Tail]:
    t = Tail(bootstrap, names)
    await t.start()
    try:
        yield t
    finally:
        await t.stop()


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, names: list[str]) -> dict[str, int]:
    """How many records each topic holds (sum of its partitions' end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [
            TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()
        ]
        ends: dict[Any, int] = await consumer.end_offsets(parts) if parts else {}
        totals = dict.fromkeys(names, 0)
        for tp, end in ends.items():
            totals[tp.topic] += end
        return totals
    finally:
        await consumer.stop()


async def lagging(
    admin: AIOKafkaAdminClient, groups: dict[str, tuple[str, ...]], must_pass: list[Placed]
) -> list[str]:
    """The consumer groups that have not committed past some record of their topics."""
    last: dict[tuple[str, int], int] = {}
    for p in must_pass:
        last[(p.topic, p.partition)] = max(last.get((p.topic, p.partition), -1), p.offset)
    behind = []
    for group, names in groups.items():
        committed = await admin.list_consumer_group_offsets(group)
        for (topic, partition), offset in last.items():
            if topic not in names:
                continue
            meta = committed.get(TopicPartition(topic, partition))
            if meta is None or meta.offset <= offset:
                behind.append(f"{group} {topic}[{partition}]")
    return behind


async def wait_committed(
    bootstrap: str,
    groups: dict[str, tuple[str, ...]],
    must_pass: list[Placed],
    *,
    timeout: float,
) -> None:
    """Until every group has committed past the given records of its topics."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with admin_client(bootstrap) as admin:
        while behind := await lagging(admin, groups, must_pass):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not committed within {timeout}s: {behind[:20]}")
            await asyncio.sleep(1)
