"""Kafka helpers: topics per run, bulk produce, waiting for a service's consumer groups."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from deploy.topics import all_topics
from shared import topics
from shared.admin import delete_topics, ensure_topics
from shared.events import Event, NotificationRequested, topic_for


def run_prefix(scenario: str) -> str:
    """A topic prefix (and Redis namespace stem) of one run's own."""
    return f"b{scenario}{uuid.uuid4().hex[:6]}."


def partitions_of(topic: str) -> int:
    """Partitions of a project topic as deployed (deploy/topics.py), e.g. 24 for
    mtm.notify.routine: the scenarios run on the topics production has."""
    return next(spec.partitions for spec in all_topics() if spec.name == topic)


async def project_topics_for(bootstrap: str, prefix: str) -> None:
    """Every project topic under a run's prefix, partitioned as deployed."""
    by_count: dict[int, list[str]] = {}
    for spec in all_topics():
        by_count.setdefault(spec.partitions, []).append(prefix + spec.name)
    for count, names in by_count.items():
        await ensure_topics(bootstrap, names, partitions=count)


async def drop(bootstrap: str, prefix: str) -> None:
    """Delete a run's topics (best effort: a broker with thousands of partitions slows down)."""
    try:
        await delete_topics(bootstrap, prefix=prefix)
    except Exception:  # noqa: S110  cleanup never fails a benchmark
        pass


def producer(bootstrap: str, **kwargs: object) -> AIOKafkaProducer:
    """A bulk loader: idempotent, acks=all, batched (loading is not what is measured)."""
    settings: dict[str, object] = {"linger_ms": 20, "max_batch_size": 256 * 1024, **kwargs}
    return AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, **settings)


async def produce_all(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]]
) -> int:
    """Produce (key, value) records as fast as the broker takes them; returns how many."""
    p = producer(bootstrap)
    await p.start()
    n = 0
    try:
        pending = []
        for key, value in records:
            pending.append(await p.send(topic, value, key=key))
            n += 1
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await p.flush()
        await asyncio.gather(*pending)
    finally:
        await p.stop()
    return n


async def wait_for_groups(
    bootstrap: str, groups: Sequence[str], *, within: float = 60, settle: float = 2.0
) -> None:
    """Wait until every consumer group exists (a member joined), then let the join settle.
    (aiokafka 0.14 cannot decode Kafka 4.1's DescribeGroups answer, so no state check.)"""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    deadline = time.monotonic() + within
    try:
        while True:
            try:
                listed = {str(g[0]) for g in await admin.list_consumer_groups()}
            except KafkaError:  # the coordinator is still being elected
                listed = set()
            missing = [g for g in groups if g not in listed]
            if not missing:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer groups missing after {within:.0f}s: {missing}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    await asyncio.sleep(settle)


async def publish_events(bootstrap: str, prefix: str, events: Sequence[Event]) -> None:
    """Publish events as a foreign producer would: JSON bodies keyed like the project's bus."""
    p = producer(bootstrap)
    await p.start()
    try:
        futures = [
            await p.send(prefix + event_topic(e), e.model_dump_json().encode(), key=e.kafka_key())
            for e in events
        ]
        await p.flush()
        await asyncio.gather(*futures)
    finally:
        await p.stop()


def event_topic(event: Event) -> str:
    if isinstance(event, NotificationRequested) and event.priority == "urgent":
        return topics.NOTIFY_URGENT
    return topic_for(event)
