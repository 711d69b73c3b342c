"""The batch offset committer with a scripted consumer: what it commits, when, and what it does
when a commit fails (table of cases)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaConnectionError

from shared.commits import MAX_FAILURES, OffsetCommitter


@dataclass
class Record:
    topic: str
    partition: int
    offset: int


@dataclass(eq=False)
class Consumer:
    fail: list[BaseException] = field(default_factory=list)
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.commits.append(dict(offsets))


T0, T1 = TopicPartition("t", 0), TopicPartition("t", 1)


async def test_one_request_per_tick_with_the_offset_after_each_partitions_last_record() -> None:
    committer, consumer = OffsetCommitter(interval=0.05), Consumer()
    for offset in range(10):
        committer.handled(consumer, Record("t", 0, offset))
    committer.handled(consumer, Record("t", 1, 4))
    assert consumer.commits == []  # nothing until the tick
    await asyncio.sleep(0.15)
    assert consumer.commits == [{T0: 10, T1: 5}]
    assert committer.commits == 1


async def test_a_lower_offset_handled_later_never_moves_the_commit_back() -> None:
    committer, consumer = OffsetCommitter(interval=10), Consumer()
    committer.handled(consumer, Record("t", 0, 7))
    committer.handled(consumer, Record("t", 0, 3))
    await committer.close()
    assert consumer.commits == [{T0: 8}]


@pytest.mark.parametrize(
    ("error", "retried", "dropped"),
    [
        (CommitFailedError("rebalanced"), False, 1),
        (IllegalStateError("not assigned"), False, 1),
        (KafkaConnectionError("broker away"), True, 0),
        (OSError("reset"), True, 0),
    ],
)
async def test_a_failed_commit_is_retried_or_given_up(
    error: BaseException, retried: bool, dropped: int
) -> None:
    committer, consumer = OffsetCommitter(interval=10), Consumer(fail=[error])
    committer.handled(consumer, Record("t", 0, 0))
    await committer.flush()
    assert committer.dropped == dropped
    await committer.flush()
    assert consumer.commits == ([{T0: 1}] if retried else [])
    await committer.close()


async def test_offsets_are_given_up_after_max_failures_so_the_loop_ends() -> None:
    failures: list[BaseException] = [KafkaConnectionError("down")] * (MAX_FAILURES + 1)
    committer, consumer = OffsetCommitter(interval=10), Consumer(fail=failures)
    committer.handled(consumer, Record("t", 0, 0))
    for _ in range(MAX_FAILURES + 1):
        await committer.flush()
    assert committer.pending == {}
    assert committer.dropped == 1
    await committer.close()


async def test_close_commits_what_was_handled_and_a_later_record_still_gets_committed() -> None:
    committer, consumer = OffsetCommitter(interval=0.05), Consumer()
    committer.handled(consumer, Record("t", 0, 0))
    await committer.close()
    assert consumer.commits == [{T0: 1}]
    committer.handled(consumer, Record("t", 0, 1))  # finished late
    await asyncio.sleep(0.15)
    assert consumer.commits == [{T0: 1}, {T0: 2}]


def test_only_real_consumers_are_batched() -> None:
    assert not OffsetCommitter.applies_to(Consumer())
    assert not OffsetCommitter.applies_to(None)
