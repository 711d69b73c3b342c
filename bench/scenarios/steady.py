"""Scenario 5, steady state: 200 events a second for 60 seconds across the inbound topics,
with all six services running, status callbacks flowing back through the gateway; p50/p99 from
an event published to its SMS accepted at the fake Twilio, and CPU per service.

Per 100 events: 20 AppointmentBooked (a booking confirmation each), 10 texts "AYUDA" and 10 texts
"ok thanks" posted to the gateway as signed Twilio webhooks (a HELP answer; nothing), 19 GAD-7
questionnaires below every threshold (nothing) and 1 PHQ-9 with item 9 answered (a crisis text
to the patient and a P1 page to the on-call clinician), 5 MedicationPlanStarted and 5
MedicationDispensed (nothing now), 30 PatientContactChanged (nothing). "Published" is the
moment Kafka acknowledged the record, or the gateway answered 200."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiokafka import AIOKafkaConsumer
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from bench.clinic import TEAM
from bench.env import service_env
from bench.fake import FakeProcess, LostOrDuplicated, Tally, accepted_at
from bench.infra import BenchInfra
from bench.kafka import drop, event_topic, producer, project_topics_for, run_prefix
from bench.population import Patient, into_directory, patients
from bench.procs import CpuMeter
from bench.progress import Progress, say
from bench.stack import Stack
from bench.stats import percentile
from deploy.local.private_kafka import free_port
from shared import topics
from shared.events import (
    AppointmentBooked,
    Event,
    ItemAnswer,
    MedicationDispensed,
    MedicationPlanStarted,
    PatientContactChanged,
    QuestionnaireCompleted,
)

RATE = 200
SECONDS = 60
TOKEN = "bench-auth-token-7c41"  # noqa: S105 (the fake Twilio's, known to the gateway)
CLINIC = "+15125550100"
CODE = re.compile(r"code (\d+)\.")
PATTERN = (
    ["appointment"] * 20
    + ["help"] * 10
    + ["thanks"] * 10
    + ["gad7"] * 19
    + ["phq9"]
    + ["plan"] * 5
    + ["fill"] * 5
    + ["contact"] * 30
)
SERVICES = ("gateway", "dispatcher", "reminders", "adherence", "symptoms", "escalation")


@dataclass
class SteadyRun:
    events: int
    seconds: float
    sms: int
    p50: float
    p99: float
    by_kind: dict[str, dict[str, float]]
    tally: Tally
    cpu_cores: dict[str, float] = field(default_factory=dict)


def _interleave(n: int) -> list[str]:
    """The pattern spread evenly (not 20 bookings in a row, then 10 texts...)."""
    order = sorted(range(len(PATTERN)), key=lambda i: (i * 37) % len(PATTERN))
    spread = [PATTERN[i] for i in order]
    return [spread[i % len(spread)] for i in range(n)]


@dataclass
class Steady:
    infra: BenchInfra
    log_dir: Path
    runs: int
    rate: int = RATE
    seconds: int = SECONDS
    routine_workers: int = 1
    prefix: str = ""
    namespace: str = ""
    fake: FakeProcess | None = None
    stack: Stack | None = None
    gateway_url: str = ""
    quiet: list[Patient] = field(default_factory=list)
    texted: list[list[Patient]] = field(default_factory=list)

    @property
    def events(self) -> int:
        return self.rate * self.seconds

    def _needed(self) -> int:
        kinds = _interleave(self.events)
        return sum(1 for k in kinds if k in ("appointment", "help", "phq9"))

    async def setup(self) -> None:
        self.prefix = run_prefix("steady")
        self.namespace = self.prefix.rstrip(".")
        await project_topics_for(self.infra.kafka, self.prefix)
        # Status callbacks go to the gateway half a second after each step, as Twilio's do.
        self.fake = await FakeProcess.launch(
            self.log_dir, callback_delay_ms=500, token=TOKEN
        ).open()
        needed = self._needed()
        people = patients(needed * self.runs + 2000, tag="s")
        self.quiet = people[:2000]
        self.texted = [
            people[2000 + i * needed : 2000 + (i + 1) * needed] for i in range(self.runs)
        ]
        redis = Redis.from_url(self.infra.redis_url)
        try:
            await into_directory(redis, self.namespace, people, quiet_hours=("00:00", "00:00"))
        finally:
            await redis.aclose()
        port = free_port()
        self.gateway_url = f"http://127.0.0.1:{port}"
        common: dict[str, Any] = {
            "prefix": self.prefix,
            "namespace": self.namespace,
            "auth_token": TOKEN,
        }
        envs = {name: service_env(self.infra, **common) for name in SERVICES}
        envs["gateway"] = service_env(
            self.infra,
            **common,
            gateway__port=port,
            gateway__public_base_url=self.gateway_url,
        )
        envs["dispatcher"] = service_env(
            self.infra,
            **common,
            fake_url=self.fake.base_url,
            dispatcher__status_callback_url=self.gateway_url + "/twilio/status",
            # As in the other scenarios: the per-sender send rate (10 routine texts a second by
            # default, what one long code may send) lifted, so the figures are the system's and
            # not the throttle's (40 booking texts a second to three senders would queue behind
            # it), and one process working on 8 routine partitions.
            dispatcher__rate_per_second=1_000_000,
            dispatcher__routine_workers=self.routine_workers,
            dispatcher__cap_per_day=1_000_000,
            dispatcher__cap_per_week=1_000_000,
        )
        self.stack = Stack(self.infra, self.prefix, self.namespace, self.log_dir)
        await self.stack.start(envs, team_needed=True)
        await self._gateway_ready()
        say(f"steady: six services up, {len(people):,} patients in the directory")

    async def _gateway_ready(self) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.stack is not None
                self.stack.check()
                try:
                    async with session.get(self.gateway_url + "/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the gateway never became ready")
                await asyncio.sleep(0.2)

    def _events(self, index: int) -> list[tuple[str, Patient, Event | dict[str, str]]]:
        """What run `index` sends, in order: (kind, patient, event or webhook form)."""
        now = datetime.now(UTC)
        out: list[tuple[str, Patient, Event | dict[str, str]]] = []
        texted = iter(self.texted[index])
        for i, kind in enumerate(_interleave(self.events)):
            quiet = self.quiet[i % len(self.quiet)]
            p = next(texted) if kind in ("appointment", "help", "phq9") else quiet
            tag = f"{index}-{i}"
            item: Event | dict[str, str]
            if kind == "appointment":
                item = AppointmentBooked(
                    patient_id=p.patient_id,
                    site_id=p.site_id,
                    appointment_id=f"ap-{tag}",
                    clinician_id="c-primary",
                    start=(now + timedelta(days=5)).replace(second=0, microsecond=0),
                )
            elif kind in ("help", "thanks"):
                item = {
                    "MessageSid": "SM" + uuid.uuid4().hex,
                    "AccountSid": "AC" + "0" * 32,
                    "From": p.phone,
                    "To": CLINIC,
                    # AYUDA, not HELP: Twilio answers HELP itself (MTM_TWILIO__OPT_OUT_MODE).
                    "Body": "AYUDA" if kind == "help" else "ok thanks",
                    "NumMedia": "0",
                }
            elif kind in ("gad7", "phq9"):
                items = 9 if kind == "phq9" else 7
                # PHQ-9 item 9 answered "several days"; everything else "not at all".
                answers = [
                    ItemAnswer(item=str(n), value=1 if n == 9 and kind == "phq9" else 0)
                    for n in range(1, items + 1)
                ]
                item = QuestionnaireCompleted(
                    patient_id=p.patient_id,
                    site_id=p.site_id,
                    response_id=f"qr-{tag}",
                    instrument="PHQ-9" if kind == "phq9" else "GAD-7",
                    answers=answers,
                    channel="app",
                )
            elif kind == "plan":
                item = MedicationPlanStarted(
                    patient_id=p.patient_id,
                    site_id=p.site_id,
                    plan_id=f"pl-{tag}",
                    drug="sertraline",
                    drug_class="ssri",
                    dose_times=["03:00"],
                    zone=p.zone,
                    start_date=date.today() + timedelta(days=2),
                )
            elif kind == "fill":
                item = MedicationDispensed(
                    patient_id=p.patient_id,
                    site_id=p.site_id,
                    drug="sertraline",
                    drug_class="ssri",
                    fill_date=date.today(),
                    days_supply=30,
                )
            else:
                item = PatientContactChanged(patient_id=p.patient_id, language="en")
            out.append((kind, p, item))
        return out

    async def run(self, index: int) -> SteadyRun:
        assert self.fake is not None and self.stack is not None
        await self.fake.reset()
        plan = self._events(index)
        published: dict[int, float] = {}
        failures: list[str] = []
        p = producer(self.infra.kafka, linger_ms=2)
        await p.start()
        validator = RequestValidator(TOKEN)
        url = self.gateway_url + "/twilio/sms"
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        posts: set[asyncio.Task[None]] = set()

        async def post(i: int, form: dict[str, str]) -> None:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(url, form),
            }
            async with session.post(url, data=urlencode(form), headers=headers) as response:
                await response.read()
                if response.status == 200:
                    published[i] = time.time()
                else:
                    failures.append(f"gateway answered {response.status}")

        def acked(i: int) -> Any:
            def done(future: asyncio.Future[Any]) -> None:
                if future.exception() is None:
                    published[i] = time.time()
                else:
                    failures.append(repr(future.exception()))

            return done

        pids = {
            **self.stack.pids(),
            "fake-twilio": self.fake.proc.pid,
            "kafka": self.infra.kafka_pid,
            "redis": self.infra.redis_pid,
        }
        meter = CpuMeter(pids).start()
        bar = Progress(f"steady run {index + 1}", len(plan))
        started = time.monotonic()
        interval = 1.0 / self.rate
        try:
            for i, (_kind, _patient, item) in enumerate(plan):
                wait = started + i * interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if isinstance(item, dict):
                    task = asyncio.create_task(post(i, item))
                    posts.add(task)
                    task.add_done_callback(posts.discard)
                else:
                    future = await p.send(
                        self.prefix + event_topic(item),
                        item.model_dump_json().encode(),
                        key=item.kafka_key(),
                    )
                    future.add_done_callback(acked(i))
                if i % self.rate == 0:
                    bar.update(i)
                    self.stack.check()
            await p.flush()
            await asyncio.gather(*posts)
            sent_for = time.monotonic() - started
            bar.close(len(plan))
            if failures:
                raise RuntimeError(f"{len(failures)} events not published: {failures[:3]}")
            expected = sum(
                2 if k == "phq9" else 1 for k, _, _ in plan if k in ("appointment", "help", "phq9")
            )
            await self._drain(expected)
            meter.stop()
        finally:
            await p.stop()
            await session.close()
        await asyncio.sleep(1.0)  # a duplicate would show up now
        messages = await self.fake.messages()
        return await self._figures(index, plan, published, messages, sent_for, meter)

    async def _drain(self, expected: int) -> None:
        assert self.fake is not None and self.stack is not None
        bar = Progress("steady: SMS accepted", expected)
        last, last_change = -1, time.monotonic()
        while True:
            self.stack.check()
            n = await self.fake.count()
            if n != last:
                last, last_change = n, time.monotonic()
            bar.update(n)
            if n >= expected:
                bar.close(n)
                return
            if time.monotonic() - last_change > 60:
                bar.close(n)
                raise TimeoutError(f"steady: stuck at {n}/{expected} SMS")
            await asyncio.sleep(0.25)

    async def _alert_codes(self, patient_ids: set[str]) -> dict[str, str]:
        """patient id -> the code of the page their PHQ-9 alert raised."""
        alerts = self.prefix + topics.ALERTS
        urgent = self.prefix + topics.NOTIFY_URGENT
        consumer = AIOKafkaConsumer(
            alerts,
            urgent,
            bootstrap_servers=self.infra.kafka,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        alert_of: dict[str, str] = {}
        code_of: dict[str, str] = {}
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                if not batch and len(alert_of) >= len(patient_ids):
                    break
                for records in batch.values():
                    for r in records:
                        body: dict[str, Any] = json.loads(r.value)
                        if (
                            body.get("event_type") == "ClinicalAlertRaised"
                            and body.get("patient_id") in patient_ids
                        ):
                            alert_of[body["alert_id"]] = body["patient_id"]
                        if body.get("template_id") == "clinician_page":
                            extra = body.get("reply_context", {}).get("extra", {})
                            code_of[extra.get("alert_id", "")] = body["variables"]["code"]
        finally:
            await consumer.stop()
        return {pid: code_of[a] for a, pid in alert_of.items() if a in code_of}

    async def _figures(
        self,
        index: int,
        plan: list[tuple[str, Patient, Event | dict[str, str]]],
        published: dict[int, float],
        messages: list[dict[str, Any]],
        sent_for: float,
        meter: CpuMeter,
    ) -> SteadyRun:
        primary = TEAM["c-primary"]
        by_phone: dict[str, list[float]] = {}
        by_code: dict[str, list[float]] = {}
        for m in messages:
            if m["to"] == primary:
                match = CODE.search(str(m["body"]))
                by_code.setdefault(match.group(1) if match else "?", []).append(accepted_at(m))
            else:
                by_phone.setdefault(str(m["to"]), []).append(accepted_at(m))
        phq = {p.patient_id for k, p, _ in plan if k == "phq9"}
        codes = await self._alert_codes(phq)
        latencies: dict[str, list[float]] = {
            "appointment": [],
            "help": [],
            "crisis": [],
            "page": [],
        }
        lost = duplicated = 0
        expected_phones: set[str] = set()
        for i, (kind, p, _) in enumerate(plan):
            if kind not in ("appointment", "help", "phq9"):
                continue
            expected_phones.add(p.phone)
            got = by_phone.get(p.phone, [])
            lost += 1 if not got else 0
            duplicated += max(len(got) - 1, 0)
            if got:
                latencies["crisis" if kind == "phq9" else kind].append(got[0] - published[i])
            if kind == "phq9":
                pages = by_code.get(codes.get(p.patient_id, "-"), [])
                lost += 1 if not pages else 0
                duplicated += max(len(pages) - 1, 0)
                if pages:
                    latencies["page"].append(pages[0] - published[i])
        unexpected = sum(len(v) for k, v in by_phone.items() if k not in expected_phones)
        unexpected += sum(len(v) for c, v in by_code.items() if c not in set(codes.values()))
        duplicated += unexpected
        expected = sum(
            2 if k == "phq9" else 1 for k, _, _ in plan if k in ("appointment", "help", "phq9")
        )
        found = Tally(expected, len(messages), lost, duplicated)
        if not found.ok:
            raise LostOrDuplicated(
                f"steady run {index + 1}: expected {expected} SMS, the fake accepted "
                f"{len(messages)}: {lost} lost, {duplicated} duplicated or unexpected"
            )
        every = [x for v in latencies.values() for x in v]
        return SteadyRun(
            events=len(plan),
            seconds=sent_for,
            sms=len(messages),
            p50=percentile(every, 50),
            p99=percentile(every, 99),
            by_kind={
                k: {"n": len(v), "p50": percentile(v, 50), "p99": percentile(v, 99)}
                for k, v in latencies.items()
            },
            tally=found,
            cpu_cores=meter.cores(),
        )

    async def teardown(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        if self.fake is not None:
            await self.fake.close()
        await drop(self.infra.kafka, self.prefix)
