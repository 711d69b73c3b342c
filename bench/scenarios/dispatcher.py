"""Scenario 2: routine NotificationRequested records already on the topic, drained by the
dispatcher (a process of its own, rate limit lifted) into the fake Twilio; and the fake's own
ceiling, measured alone, so the two can be told apart."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bench.env import service_env
from bench.fake import FakeProcess, Tally, accepted_at, require, sender_auth, tally
from bench.infra import BenchInfra
from bench.kafka import drop, produce_all, project_topics_for, run_prefix, wait_for_groups
from bench.population import Patient, into_directory, patients
from bench.procs import CpuMeter, ServiceProc
from bench.profile import Profiler
from bench.progress import Progress
from bench.services import groups
from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID
from shared import topics
from shared.events import NotificationRequested, Recipient, ReplyContext

SENDER = "+15125550100"  # the Austin site's number (the dispatcher's default sites)


def request(p: Patient, run: str) -> NotificationRequested:
    """A dose reminder as adherence asks for it (the patient chose the time: no quiet hours)."""
    dose = f"plan-{p.patient_id}:{run}:08:00"
    return NotificationRequested(
        notification_id=uuid.uuid4(),
        source="adherence",
        patient_id=p.patient_id,
        site_id=p.site_id,
        recipient=Recipient(kind="patient", id=p.patient_id),
        template_id="dose_reminder",
        variables={"time": "8:00 AM"},
        category="dose_reminder",
        patient_chosen_time=True,
        dedup_key=f"dose:{dose}:reminder",
        reply_context=ReplyContext(
            kind="dose", ref=dose, extra={"plan_id": f"plan-{p.patient_id}"}
        ),
    )


@dataclass
class DispatcherRun:
    messages: int
    rate: float
    seconds: float
    tally: Tally
    cpu_ms_per_message: dict[str, float] = field(default_factory=dict)
    cores: dict[str, float] = field(default_factory=dict)


@dataclass
class Ceiling:
    messages: int
    rate: float
    cpu_ms_per_message: float


async def wait_for_count(
    fake: FakeProcess,
    target: int,
    label: str,
    *,
    procs: list[ServiceProc],
    stall_seconds: float = 90,
    on_first: object = None,
) -> float | None:
    """Poll the fake until it accepted `target` messages; fail if nothing moves for a while.
    Returns the monotonic time of the first acceptance seen."""
    bar = Progress(label, target)
    last_change, last = time.monotonic(), -1
    first: float | None = None
    while True:
        for proc in procs:
            proc.check()
        n = await fake.count()
        now = time.monotonic()
        if n and first is None:
            first = now
            if callable(on_first):
                on_first()
        if n != last:
            last, last_change = n, now
        bar.update(n)
        if n >= target:
            bar.close(n)
            return first
        if now - last_change > stall_seconds:
            bar.close(n)
            raise TimeoutError(f"{label}: stuck at {n}/{target} for {stall_seconds:.0f}s")
        await asyncio.sleep(0.25)


@dataclass
class Lane:
    """The runs' topics and dispatcher process, started once: every run puts its requests on
    the same topic for the same idle dispatcher (its start-up is not what is measured)."""

    prefix: str
    proc: ServiceProc


async def start_lane(
    infra: BenchInfra, fake: FakeProcess, *, namespace: str, log_dir: Path, routine_workers: int
) -> Lane:
    prefix = run_prefix("disp")
    await project_topics_for(infra.kafka, prefix)
    env = service_env(
        infra,
        prefix=prefix,
        namespace=namespace,
        fake_url=fake.base_url,
        dispatcher__rate_per_second=1_000_000,
        dispatcher__routine_workers=routine_workers,
        # Counted and checked as ever, never reached however many runs share the patients.
        dispatcher__cap_per_day=1_000_000,
        dispatcher__cap_per_week=1_000_000,
    )
    log = log_dir / f"{prefix}dispatcher.log"
    proc = ServiceProc("dispatcher", "services.dispatcher", env, log)
    proc.start()
    try:
        await wait_for_groups(infra.kafka, groups("dispatcher", prefix), within=90)
    except TimeoutError:
        proc.check()
        raise
    return Lane(prefix, proc)


async def stop_lane(infra: BenchInfra, lane: Lane) -> None:
    lane.proc.stop()
    await drop(infra.kafka, lane.prefix)


async def run(
    infra: BenchInfra,
    fake: FakeProcess,
    lane: Lane,
    *,
    people: list[Patient],
    profiler: Profiler | None = None,
) -> DispatcherRun:
    """One run: a request per patient, produced at once (far faster than they are sent), then
    drained by the waiting dispatcher; the rate is taken from first to last acceptance."""
    tag = uuid.uuid4().hex[:8]
    await fake.reset()
    proc = lane.proc
    records = []
    for p in people:
        req = request(p, tag)
        records.append((req.kafka_key(), req.model_dump_json().encode()))
    meter = CpuMeter(
        {
            "dispatcher": proc.pid,
            "fake-twilio": fake.proc.pid,
            "kafka": infra.kafka_pid,
            "redis": infra.redis_pid,
        }
    )

    def first() -> None:
        meter.start()
        if profiler is not None:
            asyncio.get_running_loop().call_later(2, profiler.start, {"dispatcher": proc.pid})

    produced = asyncio.create_task(
        produce_all(infra.kafka, lane.prefix + topics.NOTIFY_ROUTINE, records)
    )
    await wait_for_count(
        fake, len(people), "dispatcher drain", procs=[proc, fake.proc], on_first=first
    )
    await produced
    meter.stop()
    await asyncio.sleep(1.0)  # a duplicate would show up now
    messages = await fake.messages()
    found = tally(messages, {p.phone: 1 for p in people})
    require(found, "dispatcher throughput")
    times = sorted(accepted_at(m) for m in messages)
    seconds = times[-1] - times[0]
    n = len(messages)
    return DispatcherRun(
        messages=n,
        rate=(n - 1) / seconds if seconds > 0 else 0.0,
        seconds=seconds,
        tally=found,
        cpu_ms_per_message={k: 1000 * v / n for k, v in meter.used.items()},
        cores=meter.cores(),
    )


async def ceiling(fake: FakeProcess, *, messages: int, concurrency: int = 16) -> Ceiling:
    """The fake alone: creates posted by a lean keep-alive client, as fast as it takes them."""
    await fake.reset()
    url = f"{fake.base_url}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
    body = (
        "Northside Clinic: time for your 8:00 AM medicine. Reply 1 if taken, 2 if not. "
        "Reply STOP to opt out, HELP for help."
    )
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)
    failures: list[int] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            form = {"To": f"+1{214 + i // 10_000}555{i % 10_000:04d}", "From": SENDER, "Body": body}
            async with session.post(url, data=form, auth=sender_auth()) as response:
                await response.read()
                if response.status != 201:
                    failures.append(response.status)

    connector = aiohttp.TCPConnector(limit=concurrency)
    before = fake.proc.pid
    meter = CpuMeter({"fake-twilio": before})
    async with aiohttp.ClientSession(connector=connector) as session:
        meter.start()
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.monotonic() - started
        meter.stop()
    if failures:
        raise RuntimeError(f"the fake refused {len(failures)} creates: {failures[:5]}")
    count = await fake.count()
    if count != messages:
        raise RuntimeError(f"fake ceiling: posted {messages}, the fake holds {count}")
    await fake.reset()
    return Ceiling(
        messages=messages,
        rate=messages / seconds,
        cpu_ms_per_message=1000 * meter.used.get("fake-twilio", 0.0) / messages,
    )


async def populate(infra: BenchInfra, namespace: str, n: int) -> list[Patient]:
    people = patients(n, tag="d")
    redis = Redis.from_url(infra.redis_url)
    try:
        await into_directory(redis, namespace, people)
    finally:
        await redis.aclose()
    return people
