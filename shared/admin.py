"""Kafka topic administration for local runs and tests (production topics come from deploy/k8s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared import topics


def project_topics(prefix: str = "", *, with_dlq: bool = True) -> list[str]:
    """Every topic of the project (and its dead-letter topic) under a prefix."""
    names = [prefix + t for t in topics.ALL_TOPICS]
    return names + [topics.dlq(n) for n in names] if with_dlq else names


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], *, partitions: int = 3, **client_kwargs: Any
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
            await _wait_for_leaders(admin, [t.name for t in wanted])
    finally:
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], within: float = 30
) -> None:
    """New partitions have no leader for a moment; producing then only yields retries and noise."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        described = await admin.describe_topics(names)
        ready = all(
            t["error_code"] == 0
            and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        )
        if ready:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"partitions of {len(names)} new topics got no leader within {within}s")


async def delete_topics(bootstrap_servers: str, *, prefix: str, **client_kwargs: Any) -> int:
    """Delete every topic whose name starts with `prefix` (test teardown); returns how many."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client_kwargs)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
        return len(doomed)
    finally:
        await admin.close()
