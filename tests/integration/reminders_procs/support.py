"""The reminders service against the real Kafka and Redis: a cascade in seconds, the service run
in-process or as `python -m services.reminders`, and readers of what it requested."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord
from faststream import TestApp
from redis.asyncio import Redis

from deploy.local.find_infra import ROOT, Infra
from services.reminders.app import build
from services.reminders.context import Context
from services.reminders.settings import RemindersSettings
from services.reminders.timers import TIMERS_NAMESPACE
from shared import topics
from shared.events import Event, NotificationRequested, PatientEnrolled, parse_event, topic_for
from shared.runtime import Service
from shared.testing.factories import sample
from shared.timers import Timers
from tests.kafka_tools import eventually, produce_raw, read_all, read_topic

# Domain 4.2's cascade with days and hours turned into seconds: the re-asks 9 s and 6 s before
# the start, the final nudge 3 s before (in person) or 2 s before (telehealth).
CASCADE: list[dict[str, Any]] = [
    {"name": "d3", "before": 9, "clock": "absolute", "reask": True},
    {"name": "d1", "before": 6, "clock": "absolute", "reask": True},
    {"name": "h2", "before": 3, "clock": "absolute", "modality": "in_person"},
    {"name": "m15", "before": 2, "clock": "absolute", "modality": "telehealth"},
]
BEFORE = {o["name"]: timedelta(seconds=o["before"]) for o in CASCADE}
FAST: dict[str, Any] = {
    "cascade": CASCADE,
    "timer_lease_seconds": 2,
    "timer_poll_seconds": 0.05,
    "timer_retry_seconds": 0.5,
}
LEAD = timedelta(seconds=12)
"""Booked this far ahead, the whole cascade is still to come."""


def now() -> datetime:
    return datetime.now(UTC)


def settings(infra: Infra, prefix: str, namespace: str) -> RemindersSettings:
    return RemindersSettings(
        env="test",
        kafka={
            "bootstrap_servers": infra.kafka,
            "topic_prefix": prefix,
            "retry_backoff_seconds": 0.05,
        },
        redis={"url": infra.redis_url, "namespace": namespace},
        reminders=FAST,
    )


def process_env(service_env: dict[str, str]) -> dict[str, str]:
    """The same settings for `python -m services.reminders`, as environment variables."""
    env = {**service_env, "MTM_KAFKA__RETRY_BACKOFF_SECONDS": "0.05"}
    for name, value in FAST.items():
        env[f"MTM_REMINDERS__{name.upper()}"] = (
            json.dumps(value) if isinstance(value, list) else str(value)
        )
    return env


@asynccontextmanager
async def running(service: Service[Context]) -> AsyncIterator[Service[Context]]:
    """The service app started in this event loop, stopped at the end."""
    async with TestApp(service.app()):
        yield service


def in_process(infra: Infra, prefix: str, namespace: str) -> Service[Context]:
    return build(settings(infra, prefix, namespace))


async def produce(kafka: str, prefix: str, *events: Event) -> None:
    """Publish as a clinic system would: plain JSON, keyed by patient."""
    for event in events:
        await produce_raw(
            kafka,
            prefix + topic_for(event),
            [event.model_dump_json().encode()],
            key=event.kafka_key(),
        )


def texts(records: list[ConsumerRecord[Any, Any]]) -> list[NotificationRequested]:
    out = []
    for record in records:
        event = parse_event(topics.NOTIFY_ROUTINE, record.value)
        assert isinstance(event, NotificationRequested)
        out.append(event)
    return out


def what(requests: list[NotificationRequested]) -> list[str]:
    """ "booked", "d3"... with the slot revision when it is not the first: "1:d3"."""
    out = []
    for n in requests:
        _, _, revision, _, step = n.dedup_key.split(":")
        out.append(step if revision == "0" else f"{revision}:{step}")
    return out


def sent_at(record: ConsumerRecord[Any, Any]) -> datetime:
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


async def requested(kafka: str, prefix: str, count: int) -> list[ConsumerRecord[Any, Any]]:
    """Read mtm.notify.routine until `count` distinct texts were requested (up to 40 s)."""

    def enough(records: list[ConsumerRecord[Any, Any]]) -> bool:
        return len({n.notification_id for n in texts(records)}) >= count

    return await read_topic(kafka, prefix + topics.NOTIFY_ROUTINE, until=enough, timeout=40)


async def all_requested(kafka: str, prefix: str) -> list[ConsumerRecord[Any, Any]]:
    return await read_all(kafka, prefix + topics.NOTIFY_ROUTINE)


def enrolment(**fields: Any) -> PatientEnrolled:
    # Allowed hours all day, so the dispatcher's quiet hours never defer a test's texts.
    defaults = {
        "site_id": "austin",
        "zone": "America/Chicago",
        "quiet_start": "00:00",
        "quiet_end": "00:00",
        "consents": ["appointments"],
    }
    return sample(PatientEnrolled, **{**defaults, **fields})


async def enrol_and_wait(
    kafka: str, prefix: str, redis: Redis, namespace: str, **fields: Any
) -> PatientEnrolled:
    """Enrol a patient and wait until the service has stored them: it is consuming."""
    event = enrolment(**fields)
    await produce(kafka, prefix, event)
    profile = f"{namespace}:reminders:patient:{event.patient_id}"
    await eventually(lambda: redis.exists(profile), timeout=40, message="reminders consuming")
    return event


async def settled(redis: Redis, namespace: str) -> None:
    """No timer left (nothing more can be requested) and none gave up."""
    timers = Timers(redis, f"{namespace}:reminders", TIMERS_NAMESPACE)

    async def none_pending() -> bool:
        return await timers.pending() == 0

    await eventually(none_pending, timeout=30, message="all reminder timers done")
    assert await timers.dead() == {}


async def no_dead_letters(kafka: str, prefix: str) -> None:
    for topic in (topics.APPOINTMENTS, topics.PATIENTS):
        assert await read_all(kafka, topics.dlq(prefix + topic)) == []


class ServiceProcess:
    """`python -m services.reminders` with its output in a file (shown when a test fails)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "services.reminders",
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def sigkill(self) -> None:
        """Kill it the hard way (no shutdown hooks run) and reap it."""
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
            await asyncio.wait_for(self.process.wait(), timeout=10)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
