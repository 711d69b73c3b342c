"""Scenario 3, the 8 a.m. burst: 50,000 patients in Chicago, Denver and Los Angeles whose dose
reminders fall due in the same minute (timers already scheduled), end to end from the due time
to the SMS accepted at the fake Twilio; meanwhile 20 P0 alerts raised at random moments, from
ClinicalAlertRaised on Kafka to the page accepted at the fake.

Running: adherence (fires the timers, asks for the reminders), dispatcher (rate limit lifted,
routine partitions in parallel), escalation (pages), all as processes with production settings
otherwise. Quiet hours do not hold the reminders (the patient chose the time) and one reminder
a day is far below the daily cap.

Dose times are whole minutes. So that a run need not wait for the next minute of the wall clock
(up to a minute of idle machine per run), adherence is restarted before each run with its
service clock a few seconds ahead of the wall clock (MTM_ADHERENCE__SIM__START/ANCHOR, scale 1):
its whole minute falls right after the seeding. Everything else runs on the wall clock; lags are
measured from the real instant that minute began."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis

from bench.clinic import TEAM
from bench.env import service_env
from bench.fake import FakeProcess, LostOrDuplicated, Tally, accepted_at, tally
from bench.infra import BenchInfra
from bench.kafka import drop, partitions_of, producer, project_topics_for, run_prefix
from bench.population import Patient, into_directory, patients
from bench.procs import CpuMeter
from bench.profile import Profiler
from bench.progress import Progress, say
from bench.seed import seed_burst
from bench.stack import Stack
from bench.stats import percentile
from shared import topics
from shared.events import ClinicalAlertRaised

ALERTS = 20
CODE = re.compile(r"code (\d+)\.")


@dataclass
class BurstRun:
    reminders: int
    drain_seconds: float
    rate: float
    lag_p50: float
    lag_p99: float
    page_p50: float
    page_p99: float
    pages_during_burst: int
    requested_p50: float
    requested_p99: float
    requested_last: float
    """Due time to the reminder requested on Kafka (adherence's share of the lag)."""
    seed_seconds: float
    tally: Tally
    cpu_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Burst:
    """The services and population, set up once; then one burst per run."""

    infra: BenchInfra
    fake: FakeProcess
    log_dir: Path
    size: int
    routine_workers: int
    prefix: str = ""
    namespace: str = ""
    people: list[Patient] = field(default_factory=list)
    stack: Stack = field(init=False)
    redis: Redis | None = None
    seed_estimate: float = 0.0
    offsets: dict[TopicPartition, int] = field(default_factory=dict)

    async def setup(self) -> None:
        self.prefix = run_prefix("burst")
        self.namespace = self.prefix.rstrip(".")
        await project_topics_for(self.infra.kafka, self.prefix)
        self.redis = Redis.from_url(self.infra.redis_url)
        self.people = patients(self.size, tag="b")
        started = time.monotonic()
        await into_directory(self.redis, self.namespace, self.people, consents=("medications",))
        say(
            f"burst: {self.size:,} patients in the dispatcher's directory "
            f"in {time.monotonic() - started:.0f}s"
        )
        common = {"prefix": self.prefix, "namespace": self.namespace}
        self.stack = Stack(self.infra, self.prefix, self.namespace, self.log_dir)
        await self.stack.start(
            {
                "dispatcher": service_env(
                    self.infra,
                    **common,
                    fake_url=self.fake.base_url,
                    dispatcher__rate_per_second=1_000_000,
                    dispatcher__routine_workers=self.routine_workers,
                    dispatcher__cap_per_day=1_000_000,
                    dispatcher__cap_per_week=1_000_000,
                ),
                "escalation": service_env(self.infra, **common),
            },
            team_needed=True,
        )

    def _check(self) -> None:
        self.stack.check()

    def _pids(self) -> dict[str, int | None]:
        return {
            **self.stack.pids(),
            "fake-twilio": self.fake.proc.pid,
            "kafka": self.infra.kafka_pid,
            "redis": self.infra.redis_pid,
        }

    async def run(self, index: int, profiler: Profiler | None = None) -> BurstRun:
        assert self.redis is not None
        await self.fake.reset()
        tag = f"r{index}{uuid.uuid4().hex[:4]}"
        # The due instant: right after adherence restarted and the seeding is done (estimated
        # from the last run, generously the first time); adherence's clock makes it a whole
        # minute (its dose time).
        started = time.monotonic()
        self.offsets = await self._end_offsets()
        estimate = self.seed_estimate * 1.15 + 3 if self.seed_estimate else self.size / 2500 + 8
        due = datetime.now(UTC) + timedelta(seconds=estimate)
        minute = _next_minute(due)
        env = service_env(
            self.infra,
            prefix=self.prefix,
            namespace=self.namespace,
            adherence__sim__start=minute.isoformat(),
            adherence__sim__anchor=due.isoformat(),
        )
        # Both before the due instant, side by side: adherence only acts once it is due.
        await asyncio.gather(
            self.stack.restart("adherence", env),
            seed_burst(self.redis, self.namespace, self.people, due=minute, run=tag),
        )
        seed_seconds = time.monotonic() - started
        self.seed_estimate = seed_seconds
        lead = (due - datetime.now(UTC)).total_seconds()
        if lead < 0.5:
            raise RuntimeError(f"seeding overran the due instant by {-lead:.1f}s")
        say(
            f"burst run {index}: adherence restarted and {self.size:,} reminders seeded in "
            f"{seed_seconds:.0f}s, due at {minute:%H:%M}Z adherence time = {due:%H:%M:%S}Z "
            f"(in {lead:.0f}s)"
        )
        await asyncio.sleep(max(0.0, lead - 0.5))
        meter = CpuMeter(self._pids()).start()
        if profiler is not None:  # 40 s from 5 s into the burst, while every service is busy
            pids = {n: p for n, p in self._pids().items() if n in self.stack.procs}
            asyncio.get_running_loop().call_later(5.5, profiler.start, pids)
        expected_window = max(self.size / 400, 5.0)
        alerts = asyncio.create_task(self._raise_alerts(due, expected_window))
        bar = Progress(f"burst run {index}", self.size + ALERTS)
        last_change, last = time.monotonic(), -1
        while True:
            self._check()
            n = await self.fake.count()
            if n != last:
                last, last_change = n, time.monotonic()
            bar.update(n)
            if alerts.done() and alerts.exception() is not None:
                raise RuntimeError("raising the alerts failed") from alerts.exception()
            if n >= self.size + ALERTS and alerts.done():
                break
            if time.monotonic() - last_change > 90:
                bar.close(n)
                raise TimeoutError(f"burst stuck at {n}/{self.size + ALERTS} SMS")
            await asyncio.sleep(0.25)
        bar.close(n)
        meter.stop()
        raised = alerts.result()
        await asyncio.sleep(1.0)  # a duplicate would show up now
        messages = await self.fake.messages()
        codes, requested = await self._read_topics(raised, tag)
        return self._figures(messages, raised, codes, requested, due, seed_seconds, meter)

    async def _end_offsets(self) -> dict[TopicPartition, int]:
        """Where mtm.notify.urgent and mtm.notify.routine end now."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.infra.kafka, enable_auto_commit=False)
        await consumer.start()
        try:
            parts = [
                TopicPartition(self.prefix + topic, p)
                for topic in (topics.NOTIFY_URGENT, topics.NOTIFY_ROUTINE)
                for p in range(partitions_of(topic))
            ]
            return dict(await consumer.end_offsets(parts))
        finally:
            await consumer.stop()

    async def _raise_alerts(self, due: datetime, window: float) -> dict[str, float]:
        """20 P0 alerts at random moments of the burst; returns alert_id -> acked on Kafka."""
        rng = random.Random()
        offsets = sorted(rng.uniform(0.5, window) for _ in range(ALERTS))
        p = producer(self.infra.kafka, linger_ms=0)
        await p.start()
        raised: dict[str, float] = {}
        try:
            for offset in offsets:
                delay = due.timestamp() + offset - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                patient = rng.choice(self.people)
                alert_id = str(uuid.uuid4())
                event = ClinicalAlertRaised(
                    patient_id=patient.patient_id,
                    site_id="austin",
                    alert_id=alert_id,
                    severity="P0",
                    rule_id="SYM-CSSRS-TRIAGE",
                    dedup_key=f"{patient.patient_id}:bench:{alert_id}",
                    source="symptoms",
                )
                await p.send_and_wait(
                    self.prefix + topics.ALERTS,
                    event.model_dump_json().encode(),
                    key=event.kafka_key(),
                )
                raised[alert_id] = time.time()
        finally:
            await p.stop()
        return raised

    async def _read_topics(
        self, raised: dict[str, float], tag: str
    ) -> tuple[dict[str, str], list[float]]:
        """alert_id -> the code its page carries (mtm.notify.urgent); and when each of this
        run's reminders was requested (the record timestamps on mtm.notify.routine)."""
        routine = self.prefix + topics.NOTIFY_ROUTINE
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.infra.kafka,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        # From where the topics ended before this run: earlier runs' records are not read again.
        consumer.assign(list(self.offsets))
        for tp, offset in self.offsets.items():
            consumer.seek(tp, offset)
        codes: dict[str, str] = {}
        requested: list[float] = []
        marker = f"-{tag}:".encode()
        deadline = time.monotonic() + 60
        try:
            while (len(codes) < len(raised) or len(requested) < self.size) and (
                time.monotonic() < deadline
            ):
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, records in batch.items():
                    for r in records:
                        if tp.topic == routine:
                            if marker in r.value:
                                requested.append(r.timestamp / 1000)
                            continue
                        body: dict[str, Any] = json.loads(r.value)
                        alert_id = body.get("reply_context", {}).get("extra", {}).get("alert_id")
                        if alert_id in raised and body.get("template_id") == "clinician_page":
                            codes[alert_id] = body["variables"]["code"]
        finally:
            await consumer.stop()
        return codes, requested

    def _figures(
        self,
        messages: list[dict[str, Any]],
        raised: dict[str, float],
        codes: dict[str, str],
        requested: list[float],
        due: datetime,
        seed_seconds: float,
        meter: CpuMeter,
    ) -> BurstRun:
        primary = TEAM["c-primary"]
        reminders = [m for m in messages if m["to"] != primary]
        pages = [m for m in messages if m["to"] == primary]
        found = tally(reminders, {p.phone: 1 for p in self.people})
        by_code: dict[str, list[float]] = {}
        for m in pages:
            match = CODE.search(str(m["body"]))
            if match:
                by_code.setdefault(match.group(1), []).append(accepted_at(m))
        page_lost = sum(1 for a in raised if len(by_code.get(codes.get(a, "?"), [])) == 0)
        page_dup = sum(max(len(v) - 1, 0) for v in by_code.values()) + max(
            len(pages) - len(raised), 0
        )
        total = Tally(
            expected=found.expected + len(raised),
            accepted=found.accepted + len(pages),
            lost=found.lost + page_lost,
            duplicated=found.duplicated + page_dup,
        )
        if not total.ok:
            raise LostOrDuplicated(
                f"burst: expected {total.expected} SMS ({len(raised)} pages), the fake accepted "
                f"{total.accepted}: {total.lost} lost, {total.duplicated} duplicated"
            )
        t0 = due.timestamp()
        lags = [accepted_at(m) - t0 for m in reminders]
        drain = max(lags)
        page_latency = [min(by_code[codes[a]]) - t for a, t in raised.items()]
        during = sum(1 for t in raised.values() if t <= t0 + drain)
        return BurstRun(
            reminders=len(reminders),
            drain_seconds=drain,
            rate=len(reminders) / drain,
            lag_p50=percentile(lags, 50),
            lag_p99=percentile(lags, 99),
            page_p50=percentile(page_latency, 50),
            page_p99=percentile(page_latency, 99),
            pages_during_burst=during,
            requested_p50=percentile([t - t0 for t in requested], 50),
            requested_p99=percentile([t - t0 for t in requested], 99),
            requested_last=max(requested, default=t0) - t0,
            seed_seconds=seed_seconds,
            tally=total,
            cpu_seconds=dict(meter.used),
        )

    async def teardown(self) -> None:
        if hasattr(self, "stack"):
            self.stack.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await drop(self.infra.kafka, self.prefix)


def _next_minute(after: datetime) -> datetime:
    return after.replace(second=0, microsecond=0) + timedelta(minutes=1)
