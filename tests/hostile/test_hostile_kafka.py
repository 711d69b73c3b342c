"""Hostile and broken records on every inbound topic, with all six consumers running against the
real Kafka and Redis: no consumer dies, every bad record is dead-lettered once per consumer group
that reads its topic (with its reason and origin), every valid record interleaved with them is
processed, and nothing else is dead-lettered.

Size: MTM_HOSTILE_RECORDS generated records in all (default 10,000), spread evenly over the
eleven inbound topics, plus a few records at the edge of Kafka's size limit.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from typing import Any

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from redis.asyncio import Redis

from deploy.local.find_infra import Infra
from shared import topics
from shared.admin import ensure_topics
from shared.broker import MAX_KEY, TRUNCATED_BODY, TRUNCATED_HEADER
from shared.events import TOPIC_EVENTS
from tests import summary as report
from tests.hostile.kafka_support import end_offsets, produce_all, tail, wait_committed
from tests.hostile.sentinels import Sentinel, as_json, base_sentinels, checker, sentinels, utcnow
from tests.hostile.services import Running, build_six, started
from tests.hostile.strategies import Raw, accepted_by, collect, hostile_record, shuffled
from tests.kafka_tools import eventually, read_all

pytestmark = [pytest.mark.integration, pytest.mark.hostile, pytest.mark.timeout(900)]

RECORDS = int(os.environ.get("MTM_HOSTILE_RECORDS", "10000"))
SENTINELS = 6
DEADLINE = float(os.environ.get("MTM_HOSTILE_DEADLINE_SECONDS", "300"))
INBOUND = list(TOPIC_EVENTS)
REASONS = {"ValidationError", "JSONDecodeError", "UnicodeDecodeError", "RecursionError"}
LIMIT = 1_048_576  # aiokafka's default max_request_size, the services' too
OUTPUTS = [topics.NOTIFY_ROUTINE, topics.NOTIFY_URGENT, topics.NOTIFY_STATUS, topics.ALERTS]


def generate(running: Running, prefix: str, per_topic: int) -> tuple[dict[str, list[Raw]], int]:
    """Hypothesis-drawn records every consumer of the topic must refuse, and how many drawn
    records were dropped because some consumer would accept them (they are not bad input)."""
    out: dict[str, list[Raw]] = {}
    dropped = 0
    for topic in INBOUND:
        adapters = [c.accepts for c in running.groups_of(prefix + topic)]
        assert adapters, f"nobody consumes {topic}"
        kept: list[Raw] = []
        while len(kept) < per_topic:
            drawn = collect(hostile_record(topic), (per_topic - len(kept)) * 11 // 10 + 5)
            refused = [r for r in drawn if not any(accepted_by(r, adapters))]
            dropped += len(drawn) - len(refused)
            kept += refused
        out[topic] = kept[:per_topic]
    return out, dropped


def edge_cases() -> dict[str, list[Raw]]:
    """Records that fit the producer's 1 MiB request limit alone, but not with the dead-letter
    headers added (one by its value, one by its key), and a tombstone (no value at all)."""
    room = LIMIT - DefaultRecordBatchBuilder.estimate_size_in_bytes(b"k", b"", []) - 16
    return {
        topics.PATIENTS: [Raw(value=b"x" * room, key=b"k", mutation="edge_value")],
        topics.SMS_INBOUND: [Raw(value=b"[]", key=b"k" * room, mutation="edge_key")],
        topics.CLINICIANS: [Raw(value=None, key=b"c-1", mutation="tombstone")],
    }


async def test_hostile_records_never_stop_a_consumer(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Redis
) -> None:
    started_at = time.monotonic()
    canary = prefix + "hostile.reply-canary"
    await ensure_topics(kafka, [canary], partitions=1)
    built = build_six(kafka=kafka, prefix=prefix, redis_url=infra.redis_url, namespace=namespace)
    hostile, dropped = generate(built.running, prefix, math.ceil(RECORDS / len(INBOUND)))
    for topic, extra in edge_cases().items():
        hostile[topic] += extra
    generated_in = time.monotonic() - started_at
    groups = {c.group: c.topics for c in built.running.consumers}
    now = utcnow()

    async with started(built) as running, tail(kafka, [prefix + t for t in OUTPUTS]) as out:

        def outputs() -> dict[str, list[dict[str, Any]]]:
            return {
                t: [b for b in as_json(out.values[prefix + t]) if b.get("source") != "test"]
                for t in OUTPUTS
            }

        check = checker(running, {})

        async def all_seen(items: list[Sentinel]) -> bool:
            nonlocal check
            check = checker(running, outputs())
            return all([await check(s) for s in items])

        # Phase 0: the patients and clinicians later sentinels refer to.
        base = [s for n in range(SENTINELS) for s in base_sentinels(n)]
        await produce_all(kafka, [(prefix + s.topic, _raw(s, canary)) for s in base])
        await eventually(lambda: all_seen(base), timeout=90, message="base sentinels")

        # Phase 1: the hostile records with valid sentinels interleaved, every topic at once.
        valid = [s for n in range(SENTINELS) for s in sentinels(n, now=now)]
        stream: list[tuple[str, Raw, Sentinel | None]] = []
        for topic in INBOUND:
            mine: list[tuple[str, Raw, Sentinel | None]] = [
                (topic, r, None) for r in hostile[topic]
            ]
            mine += [(topic, _raw(s, canary), s) for s in valid if s.topic == topic]
            stream += shuffled(mine, seed=len(topic))
        produce_started = time.monotonic()
        placed = await produce_all(kafka, [(prefix + t, r) for t, r, _ in stream])
        produced_in = time.monotonic() - produce_started

        bad = [(t, r, p) for (t, r, s), p in zip(stream, placed, strict=True) if s is None]
        expected = {
            (p.topic, p.partition, p.offset, c.group)
            for t, _, p in bad
            for c in running.groups_of(prefix + t)
        }
        want = Counter(topics.dlq(p_topic) for p_topic, _, _, _ in expected)
        dlq_names = [topics.dlq(prefix + t) for t in INBOUND]

        async def dead_lettered() -> bool:
            have = await end_offsets(kafka, dlq_names)
            return all(have[n] >= want.get(n, 0) for n in dlq_names)

        await eventually(dead_lettered, timeout=DEADLINE, interval=1, message="dead letters")
        await eventually(lambda: all_seen(valid), timeout=DEADLINE, message="valid sentinels")
        await wait_committed(kafka, groups, placed, timeout=DEADLINE)
        processed_in = time.monotonic() - produce_started

        # Phase 2: still alive? A fresh sentinel on every topic is processed too.
        late = [s for n in range(SENTINELS, SENTINELS + 2) for s in sentinels(n, now=utcnow())]
        late_placed = await produce_all(kafka, [(prefix + s.topic, _raw(s, canary)) for s in late])
        await eventually(lambda: all_seen(late), timeout=120, message="late sentinels")
        await wait_committed(kafka, groups, late_placed, timeout=120)
        assert running.dead_consumers() == []

    # Every bad record dead-lettered once per consuming group, with its reason; nothing else.
    records = {n: await read_all(kafka, n, timeout=120) for n in dlq_names}
    actual = set()
    classes: Counter[str] = Counter()
    for name, recs in records.items():
        for r in recs:
            h = {k: v.decode("utf-8", "replace") for k, v in r.headers}
            actual.add(
                (
                    h["original_topic"],
                    int(h["original_partition"]),
                    int(h["original_offset"]),
                    h["consumer_group"],
                )
            )
            assert h["original_topic"] == name.removesuffix(topics.DLQ_SUFFIX)
            assert h["error"] and h["attempt"] == "1", h
            assert h["error_class"] in REASONS, h
            classes[h["error_class"]] += 1
            if TRUNCATED_HEADER in h:  # cut to fit: the original's own headers are dropped too
                assert len(r.value) <= TRUNCATED_BODY and len(r.key or b"") <= MAX_KEY, h
                assert h[TRUNCATED_HEADER].startswith("value="), h
        assert len(recs) == len({(r.partition, r.offset) for r in recs})
    assert actual - expected == set(), "dead-lettered but valid (or twice)"
    assert expected - actual == set(), "bad but not dead-lettered"
    truncated = {
        n.removeprefix(prefix): sum(TRUNCATED_HEADER in dict(r.headers) for r in recs)
        for n, recs in records.items()
        if any(TRUNCATED_HEADER in dict(r.headers) for r in recs)
    }
    # The edge value (4 groups read mtm.patients) and the edge key (1 group reads sms.inbound).
    assert truncated == {"mtm.patients.dlq": 4, "mtm.sms.inbound.dlq": 1}
    assert await read_all(kafka, canary) == []  # no reply_to was ever honoured

    report.add(
        "hostile Kafka run",
        records=sum(len(v) for v in hostile.values()),
        per_topic={t: len(hostile[t]) for t in INBOUND},
        drawn_but_valid=dropped,
        sentinels=len(base) + len(valid) + len(late),
        dead_letters={n.removeprefix(prefix): len(records[n]) for n in dlq_names},
        groups_per_topic={t: len(running.groups_of(prefix + t)) for t in INBOUND},
        error_classes=dict(classes),
        mutations=dict(Counter(r.mutation.split("+")[0] for v in hostile.values() for r in v)),
        seconds={
            "generate": round(generated_in),
            "produce": round(produced_in),
            "processed": round(processed_in),
            "total": round(time.monotonic() - started_at),
        },
    )


def _raw(s: Sentinel, canary: str) -> Raw:
    # A reply_to header on a valid record: the services must not answer it on that topic.
    key = s.event.kafka_key()
    return Raw(value=s.value(), key=key, headers=(("reply_to", canary.encode()),))
