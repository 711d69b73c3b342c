"""Scenario 1, the ceiling of this stack: a plain aiokafka consumer that reads a topic and
produces each record to another topic, one record at a time as the services' subscribers do:
produce with acks=all (idempotent) and wait for the ack, and commit what was relayed every
100 ms (shared/commits.py). A what-if commits after every record instead (FastStream's
AckPolicy.ACK on its own, what the services did before 2026-11-27's second run)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.kafka import drop, partitions_of, produce_all, run_prefix
from bench.procs import CpuMeter
from bench.progress import Progress
from shared import topics
from shared.admin import ensure_topics


@dataclass(frozen=True)
class BaselineRun:
    messages: int
    consumers: int
    seconds: float
    rate: float
    lost: int
    duplicated: int
    relay_cpu_ms: float
    kafka_cpu_ms: float
    """CPU per message of the relay (this process) and of the broker."""


async def _relay(
    bootstrap: str,
    src: str,
    dst: str,
    group: str,
    counts: list[int],
    stop: asyncio.Event,
    commit_interval: float | None,
    joined: list[AIOKafkaConsumer],
    go: asyncio.Event,
) -> None:
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    await consumer.start()
    joined.append(consumer)
    await go.wait()  # every consumer has its partitions: no rebalance during the measurement
    uncommitted, last_commit = 0, time.monotonic()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=1)
            for records in batch.values():
                for record in records:
                    await producer.send_and_wait(dst, record.value, key=record.key)
                    uncommitted += 1
                    now = time.monotonic()
                    if commit_interval is None or now - last_commit >= commit_interval:
                        # One record at a time: everything consumed so far was relayed.
                        await consumer.commit()
                        uncommitted, last_commit = 0, now
                    counts.append(1)
        if uncommitted:
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def _count_distinct(bootstrap: str, topic: str, expected: int) -> tuple[int, int]:
    """Records on the destination: how many distinct keys+values are missing or repeated."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen: dict[bytes, int] = {}
    total = 0
    deadline = time.monotonic() + 60
    try:
        while total < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    seen[r.value] = seen.get(r.value, 0) + 1
                    total += 1
    finally:
        await consumer.stop()
    lost = expected - len(seen)
    duplicated = sum(n - 1 for n in seen.values())
    return lost, duplicated


async def run(
    bootstrap: str,
    *,
    messages: int,
    body: bytes,
    consumers: int = 1,
    commit_interval: float | None = 0.1,
    kafka_pid: int | None = None,
) -> BaselineRun:
    """One relay run, committing every `commit_interval` seconds (None: after every record)."""
    prefix = run_prefix("base")
    src, dst = prefix + "src", prefix + "dst"
    # Partitioned as the dispatcher's input and output topics are deployed.
    await ensure_topics(bootstrap, [src], partitions=partitions_of(topics.NOTIFY_ROUTINE))
    await ensure_topics(bootstrap, [dst], partitions=partitions_of(topics.NOTIFY_STATUS))
    try:
        # Unique bodies of the same size, so the destination can be checked record by record.
        def records() -> list[tuple[bytes, bytes]]:
            out = []
            for i in range(messages):
                tag = f"{i:08d}".encode()
                out.append((b"p-%06d" % (i % 10_000), tag + body[len(tag) :]))
            return out

        await produce_all(bootstrap, src, records())
        counts: list[int] = []
        stop, go = asyncio.Event(), asyncio.Event()
        joined: list[AIOKafkaConsumer] = []
        group = prefix + "relay"
        tasks = [
            asyncio.create_task(
                _relay(bootstrap, src, dst, group, counts, stop, commit_interval, joined, go)
            )
            for _ in range(consumers)
        ]
        partitions = partitions_of(topics.NOTIFY_ROUTINE)
        deadline = time.monotonic() + 60
        while len(joined) < consumers or sum(len(c.assignment()) for c in joined) < partitions:
            if time.monotonic() > deadline:
                raise TimeoutError("the relay consumers never got every partition")
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # the last join settles
        meter = CpuMeter({"relay": os.getpid(), "kafka": kafka_pid}).start()
        go.set()
        every = "record" if commit_interval is None else f"{commit_interval * 1000:.0f} ms"
        bar = Progress(f"relay x{consumers}, a commit per {every}", messages)
        first = None
        while len(counts) < messages:
            await asyncio.sleep(0.1)
            if counts and first is None:
                first = time.monotonic()
            bar.update(len(counts))
            for t in tasks:
                if t.done() and t.exception():
                    raise t.exception()  # type: ignore[misc]
        last = time.monotonic()
        meter.stop()
        bar.close(len(counts))
        stop.set()
        await asyncio.gather(*tasks)
        seconds = last - (first or last)
        lost, duplicated = await _count_distinct(bootstrap, dst, messages)
        return BaselineRun(
            messages=messages,
            consumers=consumers,
            seconds=seconds,
            rate=messages / seconds if seconds else 0.0,
            lost=lost,
            duplicated=duplicated,
            relay_cpu_ms=1000 * meter.used.get("relay", 0.0) / messages,
            kafka_cpu_ms=1000 * meter.used.get("kafka", 0.0) / messages,
        )
    finally:
        await drop(bootstrap, prefix)
