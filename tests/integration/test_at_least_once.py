"""At-least-once consumption against the real Kafka and Redis: a consumer process that dies after
its side effect but before its offset commit gets the record again after a restart, and the
claim on the event_id keeps the side effect to exactly once per record. Offsets are committed
every 100 ms (shared/commits.py), so records handled just before the kill come again too; the
claim absorbs them as well."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from shared.broker import EventBus, make_broker
from shared.events import PatientEnrolled
from shared.settings import BaseServiceSettings
from shared.testing.factories import sample
from tests.integration.procs import Proc, stop_all
from tests.integration.procs.consumer import ConsumerKeys
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

log = logging.getLogger("mtm.test.at_least_once")

CONSUMER = "tests.integration.procs.consumer"


async def _counts(redis: Redis, key: str) -> dict[str, int]:
    raw = await redis.hgetall(key)
    return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}


async def _start(
    args: list[str], env: dict[str, str], log_file: Path, redis: Redis, keys: ConsumerKeys
) -> Proc:
    await redis.delete(keys.ready)
    proc = await Proc(CONSUMER, args, env, log_file).start()
    await eventually(lambda: redis.exists(keys.ready), timeout=30, message="consumer ready")
    return proc


async def test_a_consumer_killed_before_its_commit_gets_the_record_again_and_acts_once(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    keys = ConsumerKeys.of(namespace)
    # Six patients: the records spread over the topic's partitions, each patient's in order.
    sent = [sample(PatientEnrolled, patient_id=f"p-{i % 6}") for i in range(60)]
    ids = [str(e.event_id) for e in sent]
    kill = ids[30]
    settings = BaseServiceSettings(kafka={"bootstrap_servers": kafka, "topic_prefix": prefix})
    async with make_broker(settings, client_id="at-least-once-producer") as producer:
        bus = EventBus(producer, prefix=prefix)
        for event in sent:
            await bus.publish(event)

    args = ["--group", f"{prefix}at-least-once", "--kill-event", kill]
    began = time.monotonic()
    procs: list[Proc] = []
    try:
        first = await _start(args, service_env, tmp_path / "first.log", redis, keys)
        procs.append(first)
        status = await first.wait_exit(timeout=45)
        assert status == -9, first.tail()
        # It died after the effect and before the commit: the effect is there, once.
        assert await redis.hget(keys.effects, kill) == b"1"
        assert await redis.hget(keys.deliveries, kill) == b"1"
        before_kill = await redis.hlen(keys.effects)
        handled_before = set(await _counts(redis, keys.effects))

        second = await _start(args, service_env, tmp_path / "second.log", redis, keys)
        procs.append(second)
        await eventually(
            lambda: _settled(redis, keys, len(sent), kill),
            timeout=45,
            message="every record handled and the killed one re-delivered",
        )
    finally:
        await stop_all(procs)

    deliveries = await _counts(redis, keys.deliveries)
    assert await _counts(redis, keys.effects) == {i: 1 for i in ids}
    assert deliveries[kill] == 2
    assert set(deliveries) == set(ids)
    again = {i for i, n in deliveries.items() if n > 1}
    assert max(deliveries.values()) == 2
    # Only records handled before the kill come again (their commit had not gone out yet);
    # a record handled once after the restart is never read twice.
    assert again <= handled_before, again - handled_before
    log.warning(
        "at-least-once: %d records, %d handled before the SIGKILL, %d deliveries in all "
        "(%d re-delivered), %.1fs",
        len(ids),
        before_kill,
        sum(deliveries.values()),
        len(again),
        time.monotonic() - began,
    )


async def _settled(redis: Redis, keys: ConsumerKeys, n: int, kill: str) -> bool:
    effects = await redis.hlen(keys.effects)
    return effects == n and await redis.hget(keys.deliveries, kill) == b"2"
