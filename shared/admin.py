"""Kafka topic administration for local runs and tests (production topics come from deploy/k8s)."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared import topics


def project_topics(prefix: str = "", *, with_dlq: bool = True) -> list[str]:
    """Every topic of the project (and its dead-letter topic) under a prefix."""
    names = [prefix + t for t in topics.ALL_TOPICS]
    return names + [topics.dlq(n) for n in names] if with_dlq else names


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], *, partitions: int = 3, **client_kwargs: object
) -> None:
    """Create the topics that do not exist yet (replication factor 1: local use only)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client_kwargs)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(n, num_partitions=partitions, replication_factor=1)
            for n in names
            if n not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
