"""The adherence service against the real Kafka and Redis: dose reminders, a reply, a follow-up
and a missed dose in scaled time; refills and the lithium and clozapine alerts over simulated
days (FakeClock), asserted on the records of the project's topics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deploy.local.find_infra import Infra
from services.adherence.messages import IDS
from shared import topics
from shared.clock import FakeClock
from shared.events import DoseTaken, MedicationDispensed, MedicationPlanStarted
from shared.testing.factories import sample
from tests.integration.adherence_procs.support import (
    events_now,
    events_on,
    fake_time,
    publish,
    scaled_time,
    settings_for,
)

pytestmark = pytest.mark.integration

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def env(kafka: str, prefix: str, infra: Infra, namespace: str, redis: Any) -> dict[str, Any]:
    return {"kafka": kafka, "prefix": prefix, "redis_url": infra.redis_url, "namespace": namespace}


def plan(patient: str, **kw: Any) -> MedicationPlanStarted:
    fields: dict[str, Any] = {"patient_id": patient, "plan_id": f"plan-{patient}", **kw}
    return sample(MedicationPlanStarted, **fields)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def test_two_doses_a_reply_a_follow_up_and_a_missed_dose_in_scaled_time(
    env: dict[str, Any],
) -> None:
    # 1 real second = 48 service minutes: the 08:00 and 20:00 doses are 15 s apart, the
    # follow-up comes 5 service hours (6 s) after a reminder, the cut-off 6 hours after.
    today = datetime.now(CHICAGO).date() + timedelta(days=1)
    start = datetime.combine(today, datetime.min.time().replace(hour=7, minute=57), CHICAGO)
    anchor = datetime.now(UTC) + timedelta(seconds=2)
    settings = settings_for(
        **env,
        followup_frequent_minutes=300,
        window_frequent_minutes=240,
        sim={"scale": 2880, "start": start.isoformat(), "anchor": anchor.isoformat()},
    )
    p = plan(
        "p-flow", dose_times=["08:00", "20:00"], start_date=today, occurred_at=start.astimezone(UTC)
    )
    first, second = (f"plan-p-flow:{today.isoformat()}:{t}" for t in ("08:00", "20:00"))
    kafka, prefix = env["kafka"], env["prefix"]

    def prompts(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(r["reply_context"]["ref"], r["category"]) for r in records]

    async with scaled_time(settings) as ctx:
        await publish(kafka, prefix, p)
        await events_on(
            kafka, prefix, topics.NOTIFY_ROUTINE, lambda rs: (first, "dose_reminder") in prompts(rs)
        )
        taken = sample(
            DoseTaken,
            patient_id="p-flow",
            plan_id=p.plan_id,
            dose_id=first,
            taken_at=ctx.clock.now(),
        )
        await publish(kafka, prefix, taken)
        missed = await events_on(
            kafka,
            prefix,
            topics.MEDICATIONS,
            lambda rs: any(r["event_type"] == "DoseMissed" for r in rs),
        )
        notes = await events_now(kafka, prefix, topics.NOTIFY_ROUTINE)
        first_dose = await ctx.state.dose(first)
        second_dose = await ctx.state.dose(second)

    assert prompts(notes) == [
        (first, "dose_reminder"),
        (second, "dose_reminder"),
        (second, "dose_followup"),
    ]
    assert [n["notification_id"] for n in notes] == [
        str(IDS.id(f"dose:{first}:reminder")),
        str(IDS.id(f"dose:{second}:reminder")),
        str(IDS.id(f"dose:{second}:followup")),
    ]
    assert all(
        n["patient_chosen_time"] and n["variables"]["time"] in ("8:00 AM", "8:00 PM") for n in notes
    )
    [dose_missed] = [r for r in missed if r["event_type"] == "DoseMissed"]
    assert (dose_missed["dose_id"], dose_missed["reason"]) == (second, "no_reply")
    assert first_dose is not None and first_dose.status == "taken_on_time"
    assert second_dose is not None and second_dose.status == "missed"


async def test_a_fill_ending_in_five_days_yields_one_refill_reminder(env: dict[str, Any]) -> None:
    clock = FakeClock(utc(2026, 4, 6, 12, 0))  # 07:00 CDT
    async with fake_time(settings_for(**env), clock) as svc:
        p = plan("p-refill", start_date=date(2026, 4, 6), occurred_at=clock.now())
        fill = sample(
            MedicationDispensed,
            patient_id="p-refill",
            plan_id=p.plan_id,
            fill_date=date(2026, 4, 6),
            days_supply=5,
        )
        await publish(env["kafka"], env["prefix"], p, fill, fill)
        await svc.handled(p, fill)
        await svc.run_until(utc(2026, 4, 6, 15, 0))  # 10:00 CDT, the refill reminder time
        await svc.run_until(utc(2026, 4, 10, 15, 0))
        notes = await events_now(env["kafka"], env["prefix"], topics.NOTIFY_ROUTINE)
    refills = [n for n in notes if n["category"] == "refill_reminder"]
    assert len(refills) == 1
    assert refills[0]["variables"] == {"days": "5"}
    assert refills[0]["dedup_key"] == f"refill:{p.plan_id}:2026-04-11"


async def test_two_missed_lithium_days_and_48_hours_without_clozapine_raise_p1_alerts(
    env: dict[str, Any],
) -> None:
    clock = FakeClock(utc(2026, 4, 6, 12, 0))
    lithium = plan(
        "p-li",
        drug="lithium",
        drug_class="lithium",
        start_date=date(2026, 4, 6),
        occurred_at=clock.now(),
    )
    clozapine = plan(
        "p-cloz",
        drug="clozapine",
        drug_class="antipsychotic",
        start_date=date(2026, 4, 6),
        occurred_at=clock.now(),
    )
    async with fake_time(settings_for(**env), clock) as svc:
        await publish(env["kafka"], env["prefix"], lithium, clozapine)
        await svc.handled(lithium, clozapine)
        await svc.run_until(utc(2026, 4, 6, 13, 10))
        taken = sample(
            DoseTaken,
            patient_id="p-cloz",
            plan_id=clozapine.plan_id,
            dose_id="plan-p-cloz:2026-04-06:08:00",
            taken_at=clock.now(),
        )
        await publish(env["kafka"], env["prefix"], taken)
        await svc.handled(taken)
        await svc.run_until(utc(2026, 4, 8, 13, 9))
        early = await events_now(env["kafka"], env["prefix"], topics.ALERTS)
        await svc.run_until(utc(2026, 4, 8, 13, 10))  # 48 h after the last clozapine dose
        alerts = await events_on(
            env["kafka"],
            env["prefix"],
            topics.ALERTS,
            lambda rs: {"ADH-LITHIUM", "ADH-CLOZ-48H"} <= {r["rule_id"] for r in rs},
        )
        await svc.run_until(utc(2026, 4, 9, 13, 10))  # another day: same episodes
        later = await events_now(env["kafka"], env["prefix"], topics.ALERTS)

    assert [a["rule_id"] for a in early] == ["ADH-LITHIUM"]  # at the day-2 cut-off
    by_rule = {a["rule_id"]: a for a in alerts}
    li, cz = by_rule["ADH-LITHIUM"], by_rule["ADH-CLOZ-48H"]
    assert li["severity"] == cz["severity"] == "P1"
    assert [e["ref"] for e in li["evidence"]] == [
        "plan-p-li:2026-04-06:08:00",
        "plan-p-li:2026-04-07:08:00",
    ]
    assert all(e["kind"] == "dose" for e in li["evidence"])
    cz_refs = [e["ref"] for e in cz["evidence"]]
    assert cz_refs[0] == "plan-p-cloz:2026-04-06:08:00"
    assert {"plan-p-cloz:2026-04-07:08:00", "plan-p-cloz:2026-04-08:08:00"} <= set(cz_refs)
    for alert in later:
        assert alert["patient_id"] in ("p-li", "p-cloz")
    counts = {
        rule: sum(1 for a in later if a["rule_id"] == rule)
        for rule in ("ADH-LITHIUM", "ADH-CLOZ-48H")
    }
    assert counts == {"ADH-LITHIUM": 1, "ADH-CLOZ-48H": 1}
