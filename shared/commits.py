"""Offset commits in batches: the offsets of handled records go to Kafka every `interval` seconds
instead of one awaited commit request per record (Kafka Streams commits the same way, every
100 ms, for at-least-once).

Still at-least-once: an offset is marked only after its record was handled (or dead-lettered),
and each consumer works its partitions one record at a time, so a committed offset never passes
a record that was not handled. A crash re-delivers what was handled in the last interval, which
the idempotent handlers absorb, as they absorb the record in flight at a crash anyway.

A partition taken away by a rebalance cannot be committed by its old owner any more
(CommitFailedError, IllegalStateError): those offsets are dropped and the new owner re-reads
from the last commit. A commit that fails for a network reason is retried at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaError,
    UnknownTopicOrPartitionError,
)

log = logging.getLogger("mtm.broker")

DEFAULT_INTERVAL = 0.1
MAX_FAILURES = 50
"""Consecutive failed commits of one consumer before its offsets are given up (re-read)."""


class OffsetCommitter:
    """Collects handled offsets per consumer and commits them together, every `interval` s."""

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self.pending: dict[AIOKafkaConsumer, dict[TopicPartition, int]] = {}
        self.commits = 0
        """Commit requests sent (for tests and benchmarks)."""
        self.dropped = 0
        """Offsets given up because their partition moved to another consumer."""
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[AIOKafkaConsumer, int] = {}

    @staticmethod
    def applies_to(consumer: Any) -> bool:
        """Only real consumers; FastStream's in-memory test client keeps its own no-op commit."""
        return isinstance(consumer, AIOKafkaConsumer)

    def handled(self, consumer: AIOKafkaConsumer, record: Any) -> None:
        """The record's handler finished: commit past it at the next tick."""
        tp = TopicPartition(record.topic, record.partition)
        offsets = self.pending.setdefault(consumer, {})
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="offsets")

    async def _run(self) -> None:
        while self.pending:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        """Commit everything handled so far, one request per consumer."""
        pending, self.pending = self.pending, {}
        for consumer, offsets in pending.items():
            try:
                await consumer.commit(offsets)
                self.commits += 1
                self._failures.pop(consumer, None)
            except (CommitFailedError, IllegalStateError, UnknownTopicOrPartitionError) as exc:
                # Rebalanced (or the topic was deleted): the partition's new owner re-reads from
                # the last commit.
                self.dropped += len(offsets)
                log.info(
                    "offsets not committed: partitions reassigned",
                    extra={"error_class": type(exc).__name__, "partitions": len(offsets)},
                )
            except (KafkaError, OSError) as exc:
                failures = self._failures[consumer] = self._failures.get(consumer, 0) + 1
                log.warning(
                    "offset commit failed; retrying",
                    extra={"error_class": type(exc).__name__, "attempt": failures},
                )
                if failures > MAX_FAILURES:
                    # Kafka unreachable for a while: the records will be re-read instead.
                    self.dropped += len(offsets)
                    self._failures.pop(consumer, None)
                    continue
                mine = self.pending.setdefault(consumer, {})
                for tp, offset in offsets.items():
                    mine[tp] = max(mine.get(tp, 0), offset)

    async def close(self) -> None:
        """A last commit of what was handled (on shutdown, before the consumers stop). Records
        handled after it start a new tick, which commits them if their consumer still runs."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.flush()
