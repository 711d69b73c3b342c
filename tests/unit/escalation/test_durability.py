"""Crashes and races: no step skipped, none paged twice; no PHI in Redis or the logs."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from services.escalation.acks import on_alert_acknowledged
from services.escalation.handlers import on_timer as fire
from services.escalation.outbox import alert_stream
from services.escalation.timers import ALERT_TIMERS
from services.escalation.upkeep import Upkeep
from shared.events import AlertAcknowledged
from shared.idempotency import ClaimBusy, Claims
from shared.timers import Timer
from tests.unit.escalation.conftest import BACKUP, DIRECTOR, PRIMARY, Harness, alert

MIN = 60


def break_publishing(h: Harness, times: int) -> list[int]:
    """Make the next `times` publishes from the outbox fail as if Kafka (or the process) died."""
    outbox = h.ctx.outbox
    real = outbox._run
    failures = [0]

    async def run(op: dict[str, Any]) -> None:
        if op["op"] == "publish" and failures[0] < times:
            failures[0] += 1
            raise KafkaConnectionError("kafka gone")
        await real(op)

    outbox._run = run  # type: ignore[method-assign]
    return failures


async def test_a_crash_after_the_commit_publishes_the_step_later_exactly_once(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    break_publishing(h, 1)
    await h.advance(15 * MIN)  # step 1 is committed, its page is not out
    assert h.paged() == [PRIMARY]
    await h.advance(1)  # the timer was retried: it finds step 1 done and flushes its outbox
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(15 * MIN - 1)  # the director's wait counts from the backup's step
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert len({p.notification_id for p in h.pages()}) == 3


async def test_the_relay_loop_publishes_what_a_dead_handler_left(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    break_publishing(h, 1)
    await h.fire()
    assert h.paged() == []  # step 0 is committed but its page failed to publish...
    assert await h.ctx.outbox.pending_streams() == [alert_stream("al-1")]
    await h.ctx.outbox.flush_all()  # ...the relay publishes it
    assert h.paged() == [PRIMARY]
    assert await h.ctx.outbox.pending_streams() == []


async def test_an_ack_whose_confirmation_failed_is_confirmed_on_redelivery(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    code = h.pages()[0].variables["code"]
    reading = AlertAcknowledged(code=code, clinician_id=PRIMARY, source="dispatcher")
    break_publishing(h, 1)
    with pytest.raises(KafkaConnectionError):
        await on_alert_acknowledged(h.ctx, reading)
    assert h.mine(AlertAcknowledged) == []
    await on_alert_acknowledged(h.ctx, reading)  # Kafka redelivers the record
    assert [a.clinician_id for a in h.mine(AlertAcknowledged)] == [PRIMARY]
    await h.advance(60 * MIN - 1)  # (at 60 min the resolve-by check re-escalates)
    assert h.paged() == [PRIMARY]


async def test_a_step_held_by_a_dead_worker_fires_once_after_its_claim_lapses(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    dead_worker = Claims(h.redis, h.ctx.once.claims.prefix)
    await dead_worker.claim("alert:al-1:step:1", lease_seconds=0.2)
    await h.advance(15 * MIN)  # the timer fires, finds the step held, and is retried later
    assert h.paged() == [PRIMARY]
    deadline = time.monotonic() + 5
    while await h.redis.exists(h.ctx.once.claims.key("alert:al-1:step:1")):
        assert time.monotonic() < deadline, "claim lease never lapsed"
        await asyncio.sleep(0.05)
    await h.advance(1)
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(60)
    assert h.paged() == [PRIMARY, BACKUP]


async def test_two_workers_firing_the_same_step_page_once(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    h.clock.advance(15 * MIN)
    timer = Timer(key="al-1", payload={"step": 1}, generation=0, attempt=1)
    results = await asyncio.gather(
        *(fire(h.ctx, ALERT_TIMERS, timer) for _ in range(4)), return_exceptions=True
    )
    assert h.paged() == [PRIMARY, BACKUP]
    assert all(r is None or isinstance(r, ClaimBusy) for r in results)


async def test_a_lost_timer_is_recreated_by_the_upkeep(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    await h.ctx.alert_timers.cancel("al-1")  # e.g. buried after too many attempts
    assert await Upkeep(h.ctx).reconcile() == 1
    assert await Upkeep(h.ctx).reconcile() == 0
    await h.advance(15 * MIN)
    assert h.paged() == [PRIMARY, BACKUP]


async def test_no_phone_number_or_name_in_redis_or_the_logs(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await h.start()
        await h.publish(alert())
        await h.fire()
        await h.ack(h.pages()[0].variables["code"], PRIMARY)
    stored = []
    async for key in h.redis.scan_iter(match="*"):
        kind = await h.redis.type(key)
        if kind == b"string":
            stored.append(await h.redis.get(key))
        elif kind == b"list":
            stored.extend(await h.redis.lrange(key, 0, -1))
    blob = b" ".join(v for v in stored if v)
    assert b"5550188" not in blob and b"Dr. Example" not in blob
    text = "\n".join(
        r.getMessage() + str(r.__dict__)
        for r in caplog.records
        if r.name.startswith("mtm.escalation")
    )
    assert "5550188" not in text and "Dr. Example" not in text
    assert "al-1" in text  # ids are logged
