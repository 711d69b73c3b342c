"""The fault scenarios, and the run of one: stack up, workload, fault mid-workload, drain, count.

FAULTS_SCALE=full (make test-faults) runs every scenario at full size; the default (quick, part
of `make test`) runs one scenario that pulls several levers in turn on a small workload."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy.local.private_kafka import PrivateKafka
from tests.faults.count import Tally, consumer_lag, count
from tests.faults.stack import Stack, StackConfig
from tests.faults.workload import (
    Phones,
    Plan,
    Publisher,
    Size,
    cascade,
)

Fault = Callable[[Stack], Awaitable[None]]

FULL = Size(
    appointments=300,
    doses=100,
    replied=75,
    alerts=12,
    acked=6,
    window=30,
    r1_after=15,
    r2_after=50,
    ladder_step=15,
)
"""make test-faults: about 1,150 texts a scenario, what eight scenarios fit in ~15 min here."""
ISSUE = Size(
    appointments=1667,
    doses=200,
    replied=150,
    alerts=20,
    acked=10,
    window=120,
    r1_after=20,
    r2_after=60,
    ladder_step=20,
)
"""FAULTS_SCALE=issue: issue 12's sizes (5,001 appointment texts, 200 doses, 20 P0 alerts)."""
QUICK = Size(
    appointments=100,
    doses=24,
    replied=16,
    alerts=4,
    acked=2,
    window=20,
    r1_after=10,
    r2_after=45,
    ladder_step=10,
)
"""make test: the short form."""

QUIET = 5.0
SETTLE_DEADLINE = 240.0


def scale() -> str:
    value = os.environ.get("FAULTS_SCALE", "quick").lower()
    if value not in ("quick", "full", "issue"):
        raise ValueError("FAULTS_SCALE must be quick, full or issue")
    return value


# ---------------------------------------------------------------------- levers


def sigkill(*names: str, down: float = 2.0, gap: float = 8.0) -> Fault:
    """SIGKILL each service in turn, start it again `down` seconds later."""

    async def fault(stack: Stack) -> None:
        for i, name in enumerate(names):
            if i:
                await asyncio.sleep(gap)
            await stack.sigkill(name)
            await asyncio.sleep(down)
            await stack.restart(name)

    return fault


def kafka_down(seconds: float = 20) -> Fault:
    async def fault(stack: Stack) -> None:
        await stack.kafka_outage(seconds)

    return fault


def redis_restart(*, crash: bool) -> Fault:
    async def fault(stack: Stack) -> None:
        await stack.redis_restart(crash=crash)

    return fault


def twilio(seconds: float, **knobs: Any) -> Fault:
    """Twilio misbehaves for `seconds`, then behaves again (knobs back to their defaults)."""
    calm = {"rate_5xx": 0.0, "burst_429": 0, "latency_ms": 0, "drop_callbacks_rate": 0.0}

    async def fault(stack: Stack) -> None:
        await stack.set_faults(**knobs)
        await asyncio.sleep(seconds)
        await stack.set_faults(**{k: calm[k] for k in knobs if k in calm})

    return fault


def chain(*steps: tuple[float, Fault]) -> Fault:
    """Several levers, each `pause` seconds after the previous one finished."""

    async def fault(stack: Stack) -> None:
        for pause, step in steps:
            await asyncio.sleep(pause)
            await step(stack)

    return fault


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    size: Size
    fault: Fault
    at: float
    """Seconds after the workload starts (reminders flow from 20 s on)."""
    twilio: dict[str, Any] = field(default_factory=dict)
    """Fake Twilio knobs for the whole run."""


def full_scenarios(size: Size) -> list[Scenario]:
    at = size.r1_after + 5  # reminders, doses, pages and replies all in flight
    others = ("gateway", "reminders", "adherence", "symptoms", "escalation")
    return [
        Scenario(
            "sigkill-dispatcher",
            "SIGKILL dispatcher, restarted 2 s later",
            size,
            sigkill("dispatcher"),
            at,
        ),
        Scenario(
            "sigkill-others",
            "SIGKILL gateway, reminders, adherence, symptoms, "
            "escalation, one every 5 s, each restarted 2 s later",
            size,
            sigkill(*others, gap=5),
            at - 5,
        ),
        Scenario("kafka-down", "Kafka broker stopped 20 s", size, kafka_down(20), at),
        Scenario(
            "redis-crash",
            "redis-server SIGKILLed, restarted (AOF everysec)",
            size,
            redis_restart(crash=True),
            at,
        ),
        Scenario(
            "twilio-5xx",
            "Twilio: 30% of creates answer 500, for 30 s",
            size,
            twilio(30, rate_5xx=0.3),
            at - 5,
        ),
        Scenario(
            "twilio-429",
            "Twilio: 429 storm (the next 400 creates refused)",
            size,
            twilio(1, burst_429=400),
            at,
        ),
        Scenario(
            "twilio-latency",
            "Twilio: every API call takes 2 s, for 20 s",
            size,
            twilio(20, latency_ms=2000),
            at,
        ),
        Scenario(
            "twilio-callbacks",
            "Twilio: 20% of status callbacks dropped (whole run)",
            size,
            twilio(0),
            0,
            twilio={"drop_callbacks_rate": 0.2},
        ),
    ]


QUICK_SCENARIOS = [
    Scenario(
        "quick",
        "SIGKILL dispatcher; redis-server SIGKILLed; Kafka stopped 20 s; Twilio 30% 5xx and a "
        "429 storm; 20% of callbacks dropped",
        QUICK,
        chain(
            (0, sigkill("dispatcher")),
            (2, redis_restart(crash=True)),
            (2, kafka_down(20)),
        ),
        at=8,
        twilio={"drop_callbacks_rate": 0.2, "rate_5xx": 0.3, "burst_429": 30},
    ),
]


def scenarios() -> list[Scenario]:
    if scale() == "quick":
        return QUICK_SCENARIOS
    return full_scenarios(FULL if scale() == "full" else ISSUE)


# ---------------------------------------------------------------------- one run


def stack_config(size: Size) -> StackConfig:
    """Production code, with time scaled: leases, retries and the cascade in seconds."""
    env = {
        # dispatcher: sends fast, crash take-over after one 6 s lease, look-ups after 15 s
        "MTM_DISPATCHER__RATE_PER_SECOND": "1000",
        "MTM_DISPATCHER__CAP_PER_DAY": "100",
        "MTM_DISPATCHER__CAP_PER_WEEK": "400",
        "MTM_DISPATCHER__ROUTINE_WORKERS": "3",
        "MTM_DISPATCHER__CLAIM_LEASE_SECONDS": "6",
        "MTM_DISPATCHER__BACKOFF_BASE_SECONDS": "0.1",
        "MTM_DISPATCHER__BACKOFF_MAX_SECONDS": "2",
        "MTM_DISPATCHER__AMBIGUOUS_SETTLE_SECONDS": "0.5",
        "MTM_DISPATCHER__TWILIO_TIMEOUT_SECONDS": "5",
        "MTM_DISPATCHER__RECONCILE_AFTER_SECONDS": "15",
        "MTM_DISPATCHER__RECONCILE_EVERY_SECONDS": "2",
        # reminders: the cascade in seconds; a dead worker's timer fires again 2 s later
        "MTM_REMINDERS__CASCADE": json.dumps(cascade(size)),
        "MTM_REMINDERS__TIMER_LEASE_SECONDS": "2",
        "MTM_REMINDERS__TIMER_POLL_SECONDS": "0.05",
        "MTM_REMINDERS__TIMER_RETRY_SECONDS": "1",
        # adherence: scaled clock (set per run), short leases
        "MTM_ADHERENCE__TIMER_LEASE_SECONDS": "2",
        "MTM_ADHERENCE__TIMER_POLL_SECONDS": "0.05",
        "MTM_ADHERENCE__TIMER_RETRY_SECONDS": "1",
        "MTM_ADHERENCE__CLAIM_LEASE_SECONDS": "2",
        "MTM_SYMPTOMS__CLAIM_LEASE_SECONDS": "5",
        # escalation: primary, backup 20 s later, director 20 s after that; no repeats in a run
        "MTM_ESCALATION__LADDERS__P0__DELAYS_SECONDS": json.dumps(
            [0, size.ladder_step, size.ladder_step]
        ),
        "MTM_ESCALATION__LADDERS__P0__REPEAT_EVERY_SECONDS": "3600",
        "MTM_ESCALATION__TIMER_LEASE_SECONDS": "2",
        "MTM_ESCALATION__STEP_CLAIM_SECONDS": "1",
        "MTM_ESCALATION__RELAY_INTERVAL_SECONDS": "0.5",
    }
    return StackConfig(env=env, log_level=os.environ.get("FAULTS_LOG_LEVEL", "WARNING"))


@dataclass
class Outcome:
    scenario: Scenario
    tally: Tally
    seconds: float
    timeline: list[str]
    workdir: Path

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "size": self.scenario.size.__dict__,
            "seconds": round(self.seconds, 1),
            "timeline": self.timeline,
            **self.tally.as_dict(),
        }


async def run(scenario: Scenario, infra: PrivateKafka, workdir: Path) -> Outcome:
    """One scenario from a cold stack to the count; the stack is stopped whatever happens."""
    began = time.monotonic()
    prefix = f"f{int(time.time())}-{scenario.name}."
    size = scenario.size
    start = datetime.now(UTC)
    plan = Plan.build(size, start)  # `start` is replaced below, once the stack is up
    stack = Stack(infra, workdir, prefix=prefix, config=stack_config(size))
    phones: Phones | None = None
    try:
        # Adherence starts last: its scaled clock is anchored at the workload's start.
        await stack.start(later=("adherence",))
        async with Publisher(infra.bootstrap, prefix) as publisher:
            await publisher.publish(plan.setup_events())
            await _known(stack, plan)
            plan = Plan.build(size, datetime.now(UTC))
            stack.procs["adherence"].env.update(plan.adherence_env())
            await stack.restart("adherence")
            if scenario.twilio:
                await stack.set_faults(**scenario.twilio)
            phones = Phones(stack, plan)
            stack.note("workload starts")
            t0 = time.monotonic()
            driver = asyncio.create_task(phones.run())
            feeds = [
                asyncio.create_task(publisher.publish(plan.medication_plans())),
                asyncio.create_task(_bookings(publisher, plan, t0)),
                asyncio.create_task(_screeners(publisher, plan, t0)),
                asyncio.create_task(_fault(scenario, stack, t0)),
            ]
            try:
                await asyncio.gather(*feeds)
                tally = await _settle(stack, plan, phones, t0)
            finally:
                phones.stop()
                await driver
                for task in feeds:
                    task.cancel()
        tally.exits = sum(len(p.exits) for p in stack.procs.values())
        tally.notes += [
            f"{p.name} exited on its own {len(p.exits)}x (exit codes {p.exits}); "
            "the supervisor started it again"
            for p in stack.procs.values()
            if p.exits
        ]
    finally:
        await stack.stop()
    timeline = [f"{at - began:6.1f}s {what}" for at, what in stack.events]
    return Outcome(scenario, tally, time.monotonic() - began, timeline, workdir)


async def _known(stack: Stack, plan: Plan, timeout: float = 90) -> None:
    """Every service has read the enrolments, clinicians and rosters (so all are consuming)."""
    from redis.asyncio import Redis

    from tests.kafka_tools import eventually

    ns = stack.namespace
    keys = [
        f"{ns}:dispatcher:contact:patient:{p.id}"
        for p in [*plan.appointments, *plan.doses, *plan.flagged]
    ]
    keys += [
        f"{ns}:dispatcher:contact:clinician:{c.id}"
        for t in plan.clinicians.values()
        for c in t.values()
    ]
    keys += [f"{ns}:reminders:patient:{p.id}" for p in plan.appointments]
    keys += [f"{ns}:escalation:roster:{site}" for site in plan.clinicians]
    redis = Redis.from_url(stack.infra.redis_url)
    try:

        async def all_there() -> bool:
            for crashed in stack.crashed():
                raise AssertionError(f"{crashed} exited:\n{stack.procs[crashed].tail()}")
            found = 0
            for i in range(0, len(keys), 1000):
                found += int(await redis.exists(*keys[i : i + 1000]))
            return found == len(keys)

        await eventually(all_there, timeout=timeout, interval=0.5, message="setup known to all")
    finally:
        await redis.aclose()


async def _bookings(publisher: Publisher, plan: Plan, t0: float) -> None:
    """Bookings as they come, a few times a second."""
    i, n = 0, plan.size.appointments
    while i < n:
        now = time.monotonic() - t0
        due = [j for j in range(i, n) if plan.booked_at(j) <= now]
        if due:
            await publisher.publish([plan.booking(j) for j in due])
            i = due[-1] + 1
        await asyncio.sleep(0.25)


async def _screeners(publisher: Publisher, plan: Plan, t0: float) -> None:
    for i in range(plan.size.alerts):
        await asyncio.sleep(max(0.0, t0 + plan.alert_at(i) - time.monotonic()))
        await publisher.publish([plan.screener(i)])


async def _fault(scenario: Scenario, stack: Stack, t0: float) -> None:
    await asyncio.sleep(max(0.0, t0 + scenario.at - time.monotonic()))
    await scenario.fault(stack)


async def _settle(stack: Stack, plan: Plan, phones: Phones, t0: float) -> Tally:
    """Wait for the workload's last text, then until nothing moves (every consumer caught up, no
    new SMS for QUIET seconds) and count; while something is missing, wait and count again, up
    to SETTLE_DEADLINE seconds (a service that does not recover shows up as lost)."""
    size = plan.size
    last_due = max(
        size.r2_after + size.window, plan.alert_at(size.alerts - 1) + 2 * size.ladder_step
    )
    await asyncio.sleep(max(0.0, t0 + last_due - time.monotonic()))
    deadline = time.monotonic() + SETTLE_DEADLINE
    while True:
        await _quiet(stack, deadline)
        sms = await stack.messages()
        tally = await count(
            stack.infra.bootstrap, stack.prefix, plan, phones, sms, in_flight=stack.in_flight
        )
        missing = tally.lost or tally.statuses_missing or tally.acked < tally.acked_expected
        if not missing or time.monotonic() > deadline:
            stack.note("counted" if not missing else "counted at the deadline")
            return tally
        await asyncio.sleep(3)


async def _quiet(stack: Stack, deadline: float) -> None:
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        sms = len(await stack.messages())
        lag = sum((await consumer_lag(stack.infra.bootstrap, stack.prefix)).values())
        if sms != seen or lag:
            seen, since = sms, time.monotonic()
        elif time.monotonic() - since >= QUIET:
            return
        await asyncio.sleep(1)
