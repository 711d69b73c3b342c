"""The adherence service as a process, SIGKILLed and restarted, against the real Kafka and Redis
in scaled time: no dose is lost, no reminder is requested twice (by notification_id)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from services.adherence.clock import ScaledClock
from services.adherence.messages import IDS
from shared import topics
from shared.events import MedicationPlanStarted
from shared.testing.factories import sample
from tests.integration.adherence_procs.support import (
    ServiceProcess,
    events_now,
    events_on,
    publish,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

SCALE = 240  # 1 real second = 4 service minutes
TIMES = ("08:00", "09:00", "10:00")
PATIENTS = ("p-k1", "p-k2", "p-k3")


async def test_sigkill_and_restart_lose_no_dose_and_send_no_reminder_twice(
    kafka: str,
    prefix: str,
    namespace: str,
    redis: Redis,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    chicago = ZoneInfo("America/Chicago")
    day = datetime.now(chicago).date() + timedelta(days=1)
    start = datetime.combine(day, datetime.min.time().replace(hour=7, minute=58), chicago)
    clock = ScaledClock(scale=SCALE, start=start, anchor=datetime.now(UTC) + timedelta(seconds=4))
    env = {
        **service_env,
        "MTM_ADHERENCE__SIM__SCALE": str(SCALE),
        "MTM_ADHERENCE__SIM__START": start.isoformat(),
        "MTM_ADHERENCE__SIM__ANCHOR": clock.anchor.isoformat(),
        "MTM_ADHERENCE__TIMER_LEASE_SECONDS": "1",
        "MTM_ADHERENCE__TIMER_RETRY_SECONDS": "0.2",
        "MTM_ADHERENCE__CLAIM_LEASE_SECONDS": "2",
        "MTM_LOG__LEVEL": "INFO",
    }
    plans = [
        sample(
            MedicationPlanStarted,
            patient_id=p,
            plan_id=f"plan-{p}",
            dose_times=list(TIMES),
            start_date=day,
            occurred_at=start.astimezone(UTC),
        )
        for p in PATIENTS
    ]
    doses = {t: [f"plan-{p}:{day.isoformat()}:{t}" for p in PATIENTS] for t in TIMES}
    expected = {str(IDS.id(f"dose:{d}:reminder")) for ds in doses.values() for d in ds}
    expected |= {str(IDS.id(f"dose:{d}:followup")) for d in doses["10:00"]}
    claim = f"{namespace}:{topics.RedisPrefix.ADHERENCE}:claim:dose:{{}}:reminder"
    first = ServiceProcess(env, tmp_path / "adherence-1.log")
    second = ServiceProcess(env, tmp_path / "adherence-2.log")
    try:
        await publish(kafka, prefix, *plans)
        await first.start()
        await events_on(
            kafka,
            prefix,
            topics.NOTIFY_ROUTINE,
            lambda rs: len({r["reply_context"]["ref"] for r in rs}) >= 3,
            timeout=60,
        )

        async def first_batch_done() -> bool:
            values = [await redis.get(claim.format(d)) for d in doses["08:00"]]
            return all(isinstance(v, bytes) and v.startswith(b"done:") for v in values)

        await eventually(first_batch_done, timeout=10, message="08:00 reminders recorded")
        await first.sigkill()
        # Stay down until the 09:00 doses are due: they fall into the outage.
        down_until = clock.real(
            datetime.combine(day, datetime.min.time().replace(hour=9, minute=4), chicago)
        )
        await asyncio.sleep(max(0.0, (down_until - datetime.now(UTC)).total_seconds()))
        await second.start()

        def complete(records: list[dict[str, Any]]) -> bool:
            return {r["notification_id"] for r in records} >= expected

        await events_on(kafka, prefix, topics.NOTIFY_ROUTINE, complete, timeout=90)
        missed = await events_on(
            kafka,
            prefix,
            topics.MEDICATIONS,
            lambda rs: sum(r["event_type"] == "DoseMissed" for r in rs) >= 6,
            timeout=60,
        )
        notes = await events_now(kafka, prefix, topics.NOTIFY_ROUTINE)
    except BaseException:
        print("first run:\n" + first.tail(), "\nsecond run:\n" + second.tail())
        raise
    finally:
        await first.sigkill()
        await second.sigkill()

    ids = [n["notification_id"] for n in notes]
    assert set(ids) == expected  # nothing lost, nothing unexpected
    assert len(ids) == len(set(ids))  # and nothing requested twice
    missed_ids = sorted(r["dose_id"] for r in missed if r["event_type"] == "DoseMissed")
    assert missed_ids == sorted(doses["08:00"] + doses["09:00"])
    assert all(r["reason"] == "no_reply" for r in missed if r["event_type"] == "DoseMissed")
    # the 09:00 doses came due while the service was down: the restarted process reminded them
    before, after = first.log.read_text(), second.log.read_text()
    for dose in doses["09:00"]:
        assert dose not in before and f'"dose_id": "{dose}"' in after
