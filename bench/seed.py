"""Pre-populated adherence state for the 8 a.m. burst: one plan per patient whose single dose
time falls in one UTC minute across three zones, its dose in the ledger and its four timers
armed, written with the adherence service's own State, planner rules and Timers (in bulk:
enrolling 50,000 patients through Kafka would take minutes and measure enrolment instead)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from redis.asyncio import Redis

from bench.population import Patient
from services.adherence.rules.model import STEPS, Plan, Segment
from services.adherence.rules.schedule import plan_doses
from services.adherence.settings import AdherenceSection
from services.adherence.state import State
from services.adherence.timers import DoseStep
from shared.clock import SystemClock
from shared.timers import Timers
from shared.topics import RedisPrefix, redis_prefix

CHUNK = 2000


def plan_for(p: Patient, due: datetime, run: str) -> Plan:
    """A once-daily plan whose dose time is `due` in the patient's own zone (Chicago 08:00 is
    Denver 07:00 and Los Angeles 06:00: one UTC minute)."""
    local = due.astimezone(_zone(p.zone))
    return Plan(
        plan_id=f"pl-{p.patient_id}-{run}",
        patient_id=p.patient_id,
        drug="sertraline",
        drug_class="ssri",
        segments=(Segment(local.date(), (local.strftime("%H:%M"),), p.zone),),
        start_date=local.date(),
        site_id=p.site_id,
    )


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


async def seed_burst(
    redis: Redis, namespace: str, people: Sequence[Patient], *, due: datetime, run: str
) -> int:
    """Plans, doses and armed timers for every patient; returns the timers scheduled."""
    prefix = redis_prefix(namespace, RedisPrefix.ADHERENCE)
    state = State(redis, prefix, clock=SystemClock())
    timers = Timers(redis, prefix, "doses", buckets=AdherenceSection().timer_buckets)
    policy = AdherenceSection().to_config().windows
    scheduled = 0
    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        plans = [plan_for(p, due, run) for p in chunk]
        doses = []
        for plan in plans:
            day = plan.start_date
            [dose] = plan_doses(plan, day, day, policy)
            if dose.scheduled_at != due:
                raise AssertionError(f"dose {dose.dose_id} due {dose.scheduled_at}, not {due}")
            doses.append(replace(dose, armed=True))
        await state.put_plans(plans)  # pipelined across the chunk
        await state.write_doses(doses)
        items = []
        for d in doses:
            for step in STEPS:
                when = d.step_due(step)
                if when is not None:
                    items.append(DoseStep(d.dose_id, step).at(when))
        await timers.schedule_many(items, chunk=1000)
        scheduled += len(items)
    return scheduled
