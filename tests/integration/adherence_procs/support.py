"""Run the adherence service against the real Kafka and Redis: in-process with a FakeClock
(days driven timer by timer), in-process with scaled time, or as a `python -m` process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from services.adherence.app import build
from services.adherence.context import Context
from services.adherence.settings import AdherenceSettings
from shared.clock import FakeClock
from shared.events import Event, parse_event, topic_for
from shared.timers import TimerWorker
from tests.kafka_tools import eventually, read_all, read_topic

ROOT = Path(__file__).resolve().parents[3]


def settings_for(
    *, kafka: str, prefix: str, redis_url: str, namespace: str, **section: Any
) -> AdherenceSettings:
    """Settings of one test: its own topics and keys."""
    return AdherenceSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": redis_url, "namespace": namespace},
        log={"level": "WARNING"},
        adherence=section,
    )


class FakeTimeService:
    """The service with its broker started but its timer loop driven by the test."""

    def __init__(self, ctx: Context, worker: TimerWorker, clock: FakeClock) -> None:
        self.ctx, self.worker, self.clock = ctx, worker, clock

    async def handled(self, *events: Event, timeout: float = 30) -> None:
        """Wait until the service has handled these events (its per-event marker is set)."""

        async def done() -> bool:
            return all([await self.ctx.once.done(f"event:{e.event_id}") for e in events])

        await eventually(done, timeout=timeout, message="events handled")

    async def run_until(self, until: datetime) -> None:
        """Fire every timer due up to `until`, each at its own instant."""
        for _ in range(10_000):
            due = await self.ctx.timers.next_due()
            if due is None or due > until:
                break
            self.clock.set(max(due, self.clock.now()))
            await self.worker.run_once()
        else:
            raise AssertionError("timers keep rescheduling themselves for now")
        self.clock.set(until)
        await self.worker.run_once()


@asynccontextmanager
async def fake_time(
    settings: AdherenceSettings, clock: FakeClock
) -> AsyncIterator[FakeTimeService]:
    """Kafka consumer and producer running; timers only when the test says so."""
    service = build(settings, clock=clock)
    rt, [worker] = service.runtime, service.workers
    async with rt.lifespan():
        await rt.broker.start()
        try:
            yield FakeTimeService(service.context, worker, clock)
        finally:
            await rt.broker.stop()


@asynccontextmanager
async def scaled_time(settings: AdherenceSettings) -> AsyncIterator[Context]:
    """The whole app (consumer, producer, timer loop) on the scaled clock of its settings."""
    service = build(settings)
    app = service.app()
    async with app.lifespan_context():
        await app.start()
        try:
            yield service.context
        finally:
            await app.stop()


async def publish(kafka: str, prefix: str, *events: Event) -> None:
    """Publish events as a foreign producer would: JSON, keyed by patient."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                prefix + topic_for(event), event.model_dump_json().encode(), key=event.kafka_key()
            )
    finally:
        await producer.stop()


async def events_on(
    kafka: str,
    prefix: str,
    topic: str,
    until: Callable[[list[dict[str, Any]]], bool],
    *,
    timeout: float = 60,
) -> list[dict[str, Any]]:
    """The records of a topic as JSON objects (validated as events), read until `until` holds."""

    def decoded(records: list[Any]) -> list[dict[str, Any]]:
        bodies = [json.loads(r.value) for r in records]
        for body in bodies:
            parse_event(topic, body)
        return bodies

    records = await read_topic(
        kafka, prefix + topic, until=lambda rs: until(decoded(rs)), timeout=timeout
    )
    return decoded(records)


async def events_now(kafka: str, prefix: str, topic: str) -> list[dict[str, Any]]:
    """Every record the topic holds right now, as JSON objects."""
    return [json.loads(r.value) for r in await read_all(kafka, prefix + topic)]


class ServiceProcess:
    """`python -m services.adherence` as a child process, output to a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> ServiceProcess:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "services.adherence",
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        return self

    async def sigkill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
            await asyncio.wait_for(self.process.wait(), timeout=10)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
