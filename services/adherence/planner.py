"""Putting a plan's doses on the time line: materialize a rolling horizon, re-plan on a change,
cancel on a stop, arm each dose's timers, and keep the refill timers in step with the fills."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from services.adherence.core import Adherence
from services.adherence.rules.model import STEPS, Dose, Plan
from services.adherence.rules.refills import fills_for_plan, refill_schedule
from services.adherence.rules.schedule import local_today, plan_doses, replan
from shared.localtime import resolve_local

log = logging.getLogger("mtm.adherence.planner")

PLAN_TIMERS = ("horizon", "gap", "refill", "lapse")


def step_key(dose_id: str, step: str) -> str:
    """Timer key of one step of a dose."""
    return f"dose|{dose_id}|{step}"


def dose_timer(dose_id: str, step: str) -> tuple[str, dict[str, Any]]:
    """Key and payload of one step's timer. The key names the dose and the step, so the
    payload stays empty: a payload repeating them made every stored value longer than Redis's
    64-byte compact-encoding limit, about 250 instead of 125 bytes per pending timer."""
    return step_key(dose_id, step), {}


def parse_step_key(key: str) -> tuple[str, str] | None:
    """(dose id, step) of a dose timer's key; None for any other key."""
    if not key.startswith("dose|"):
        return None
    dose_id, sep, step = key[len("dose|") :].rpartition("|")
    return (dose_id, step) if sep and dose_id and step else None


def plan_key(kind: str, plan_id: str) -> str:
    """Timer key of a plan-level timer (horizon, gap, refill, lapse)."""
    return f"{kind}|{plan_id}"


async def arm(svc: Adherence, doses: list[Dose]) -> None:
    """Schedule every step of the doses, then mark them armed (re-arming is harmless: a step
    that already fired finds its claim done or its dose closed)."""
    items = []
    for d in doses:
        for step in STEPS:
            due = d.step_due(step)
            if due is not None:
                key, payload = dose_timer(d.dose_id, step)
                items.append((key, due, payload))
    if items:
        await svc.timers.schedule_many(items)
    for dose in doses:
        await svc.state.transition(dose.dose_id, allowed=("pending",), status="pending", armed="1")


async def cancel_dose(svc: Adherence, dose: Dose, *, now: datetime) -> bool:
    """Close an open dose as cancelled and drop its timers (not counted anywhere)."""
    changed, _ = await svc.state.transition(
        dose.dose_id, allowed=("pending",), status="cancelled", reported_at=now.isoformat()
    )
    for step in STEPS:
        await svc.timers.cancel(step_key(dose.dose_id, step))
    return changed


async def materialize(svc: Adherence, plan: Plan, *, first: date, not_before: datetime) -> Plan:
    """Bring the ledger in line with the plan from local date `first` to the horizon; returns
    the plan (with its first dose recorded). Call it under the plan's lock."""
    now = svc.clock.now()
    cfg = svc.config
    today = local_today(now, plan.zone)
    last = today + timedelta(days=cfg.horizon_days)
    first = max(first, plan.start_date)
    existing = await svc.state.doses(plan.plan_id, since=now - timedelta(days=2))
    live = plan.active and not plan.prn
    desired = plan_doses(plan, first, last, cfg.windows) if live and first <= last else []
    change = replan(existing, desired, now=now, not_before=not_before, effective=first)
    for dose in change.cancel:
        await cancel_dose(svc, dose, now=now)
    await svc.state.write_doses(change.create)
    touched = {d.dose_id for d in change.create} | {d.dose_id for d in change.cancel}
    unarmed = [
        d for d in existing if d.status == "pending" and not d.armed and d.dose_id not in touched
    ]
    await arm(svc, [*change.create, *unarmed])
    if change.create or change.cancel:
        log.info(
            "doses planned",
            extra={
                "plan_id": plan.plan_id,
                "patient_id": plan.patient_id,
                "doses_created": len(change.create),
                "doses_cancelled": len(change.cancel),
            },
        )
    if plan.first_dose_at is None and change.create:
        plan = replace(plan, first_dose_at=min(d.scheduled_at for d in change.create))
        await svc.state.put_plan(plan)
    if live and (plan.end_date is None or plan.end_date >= today):
        await svc.timers.schedule(
            plan_key("horizon", plan.plan_id),
            now + cfg.horizon_refresh,
            {"kind": "horizon", "plan": plan.plan_id},
        )
    return plan


async def stop(svc: Adherence, plan: Plan) -> None:
    """A stopped plan: every open dose is cancelled, every plan timer dropped."""
    now = svc.clock.now()
    cancelled = 0
    for dose in await svc.state.doses(plan.plan_id, since=now - timedelta(days=2)):
        if dose.status == "pending":
            cancelled += await cancel_dose(svc, dose, now=now)
    for kind in PLAN_TIMERS:
        await svc.timers.cancel(plan_key(kind, plan.plan_id))
    log.info(
        "plan stopped",
        extra={
            "plan_id": plan.plan_id,
            "patient_id": plan.patient_id,
            "doses_cancelled": cancelled,
        },
    )


async def schedule_refills(svc: Adherence, plan: Plan) -> None:
    """Refill reminder `lead` days before the supply runs out, lapse check `grace` days after."""
    now = svc.clock.now()
    today = local_today(now, plan.zone)
    if not plan.in_force(today):
        for kind in ("refill", "lapse"):
            await svc.timers.cancel(plan_key(kind, plan.plan_id))
        return
    fills = fills_for_plan(plan, await svc.state.fills(plan.patient_id))
    supply = refill_schedule(
        fills,
        lead_days=svc.config.refill_lead_days,
        grace_days=svc.config.refill_grace_days,
        today=today,
    )
    if supply is None:
        return
    at = svc.config.refill_time
    if supply.run_out > today:
        remind_at = max(resolve_local(supply.remind_on, at, plan.zone), now)
        await svc.timers.schedule(
            plan_key("refill", plan.plan_id), remind_at, {"kind": "refill", "plan": plan.plan_id}
        )
    lapse_at = max(resolve_local(supply.lapse_on, at, plan.zone), now)
    await svc.timers.schedule(
        plan_key("lapse", plan.plan_id), lapse_at, {"kind": "lapse", "plan": plan.plan_id}
    )
