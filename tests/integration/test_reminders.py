"""The reminders service against the real Kafka and Redis, with the cascade scaled to seconds:
the texts are requested in order and on time, a reschedule or a cancel stops the old ones, and a
process killed with SIGKILL and restarted loses no reminder and requests none twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from deploy.local.find_infra import Infra
from shared.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    NotificationRequested,
)
from shared.testing.factories import sample
from tests.integration.reminders_procs.support import (
    BEFORE,
    LEAD,
    ServiceProcess,
    all_requested,
    enrol_and_wait,
    in_process,
    no_dead_letters,
    now,
    process_env,
    produce,
    requested,
    running,
    sent_at,
    settled,
    texts,
    what,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration


async def test_the_cascade_is_requested_in_order_and_on_time(
    kafka: str, prefix: str, namespace: str, infra: Infra, redis: Redis
) -> None:
    async with running(in_process(infra, prefix, namespace)):
        await enrol_and_wait(kafka, prefix, redis, namespace)
        booked = sample(AppointmentBooked, site_id="austin", start=now() + LEAD)
        await produce(kafka, prefix, booked)
        await requested(kafka, prefix, 4)
        await settled(redis, namespace)
    records = await all_requested(kafka, prefix)
    requests = texts(records)
    assert what(requests) == ["booked", "d3", "d1", "h2"]
    assert len({n.notification_id for n in requests}) == 4
    for record, step in zip(records[1:], ["d3", "d1", "h2"], strict=True):
        due = booked.start - BEFORE[step]
        assert due - timedelta(milliseconds=50) <= sent_at(record) <= due + timedelta(seconds=2)
    assert all(n.expires_at == booked.start for n in requests)
    assert all(n.reply_context.ref == booked.appointment_id for n in requests)
    await no_dead_letters(kafka, prefix)


async def test_rescheduling_halfway_cancels_the_rest_and_the_new_cascade_follows(
    kafka: str, prefix: str, namespace: str, infra: Infra, redis: Redis
) -> None:
    async with running(in_process(infra, prefix, namespace)):
        await enrol_and_wait(kafka, prefix, redis, namespace)
        first = now() + LEAD
        await produce(kafka, prefix, sample(AppointmentBooked, site_id="austin", start=first))
        await requested(kafka, prefix, 2)  # the confirmation and the first re-ask
        later = now() + LEAD
        await produce(
            kafka, prefix, sample(AppointmentRescheduled, start=later, previous_start=first)
        )
        await requested(kafka, prefix, 6)
        await settled(redis, namespace)
        assert now() > first  # the old slot's reminders would all have come due by now
    requests = texts(await all_requested(kafka, prefix))
    # One patient, one partition: the records are in publishing order. Nothing for the old slot
    # after the move (how much of it went before depends only on when the move was handled).
    steps = what(requests)
    moved = steps.index("1:booked")
    assert steps[:moved] in (["booked", "d3"], ["booked", "d3", "d1"])
    assert steps[moved:] == ["1:booked", "1:d3", "1:d1", "1:h2"]
    assert requests[moved].variables["rescheduled"] == "yes"
    await no_dead_letters(kafka, prefix)


async def test_cancelling_sends_one_notice_and_nothing_after(
    kafka: str, prefix: str, namespace: str, infra: Infra, redis: Redis
) -> None:
    async with running(in_process(infra, prefix, namespace)):
        await enrol_and_wait(kafka, prefix, redis, namespace)
        start = now() + LEAD
        await produce(kafka, prefix, sample(AppointmentBooked, site_id="austin", start=start))
        await requested(kafka, prefix, 2)
        cancel = sample(AppointmentCancelled, cancelled_by="patient")
        await produce(kafka, prefix, cancel, cancel)  # delivered twice
        await requested(kafka, prefix, 3)
        await settled(redis, namespace)
        await eventually(lambda: now() > start, timeout=20, message="past the start")
    requests = texts(await all_requested(kafka, prefix))
    steps = what(requests)
    assert steps[-1] == "cancelled" and steps.count("cancelled") == 1  # one notice, nothing after
    assert steps[:-1] in (["booked", "d3"], ["booked", "d3", "d1"])
    assert requests[-1].template_id == "appointment_cancelled"
    await no_dead_letters(kafka, prefix)


async def test_sigkill_and_restart_lose_no_reminder_and_request_none_twice(
    kafka: str,
    prefix: str,
    namespace: str,
    redis: Redis,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    service = ServiceProcess(process_env(service_env), tmp_path / "reminders.log")
    try:
        await service.start()
        await enrol_and_wait(kafka, prefix, redis, namespace)
        booked = sample(AppointmentBooked, site_id="austin", start=now() + LEAD + LEAD / 6)
        await produce(kafka, prefix, booked)
        await requested(kafka, prefix, 1)
        await service.sigkill()  # right after the booking was handled (maybe not yet committed)
        await service.start()
        await requested(kafka, prefix, 2)
        await service.sigkill()  # right after the first reminder went out (maybe not completed)
        d1_due = booked.start - BEFORE["d1"]
        await eventually(lambda: now() > d1_due, timeout=20, message="d1 due while down")
        await service.start()
        await requested(kafka, prefix, 4)
        await settled(redis, namespace)
    except BaseException:
        print(service.tail())
        raise
    finally:
        await service.sigkill()
    records = await all_requested(kafka, prefix)
    first: dict[str, tuple[NotificationRequested, datetime]] = {}
    for record, request in zip(records, texts(records), strict=True):
        first.setdefault(what([request])[0], (request, sent_at(record)))
    assert list(first) == ["booked", "d3", "d1", "h2"]
    # a repeat (a firing cut short by the kill) carries the same id: the dispatcher sends it once
    ids = {(n.dedup_key, n.notification_id) for n in texts(records)}
    assert len(ids) == 4, ids
    assert first["d1"][1] >= d1_due  # came due while the service was down: sent late, not lost
    assert first["h2"][1] >= booked.start - BEFORE["h2"] - timedelta(milliseconds=50)
    await no_dead_letters(kafka, prefix)
