"""Putting a plan's doses on the time line: materialize a rolling horizon, re-plan on a change,
cancel on a stop, arm each dose's timers, and keep the refill timers in step with the fills."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta

from services.adherence.context import Context
from services.adherence.rules.model import STEPS, Dose, Plan
from services.adherence.rules.refills import fills_for_plan, refill_schedule
from services.adherence.rules.schedule import local_today, plan_doses, replan
from services.adherence.timers import (
    PLAN_TIMERS,
    DoseStep,
    Horizon,
    LapseCheck,
    RefillDue,
    dose_steps,
)
from shared.localtime import resolve_local

log = logging.getLogger("mtm.adherence.planner")


async def arm(ctx: Context, doses: list[Dose]) -> None:
    """Schedule every step of the doses, then mark them armed (re-arming is harmless: a step
    that already fired finds its claim done or its dose closed)."""
    items = []
    for d in doses:
        for step in STEPS:
            due = d.step_due(step)
            if due is not None:
                items.append(DoseStep(d.dose_id, step).at(due))
    if items:
        await ctx.timers.schedule_many(items)
    for dose in doses:
        await ctx.state.transition(dose.dose_id, allowed=("pending",), status="pending", armed="1")


async def cancel_dose(ctx: Context, dose: Dose, *, now: datetime) -> bool:
    """Close an open dose as cancelled and drop its timers (not counted anywhere)."""
    changed, _ = await ctx.state.transition(
        dose.dose_id, allowed=("pending",), status="cancelled", reported_at=now.isoformat()
    )
    for timer in dose_steps(dose.dose_id):
        await ctx.timers.cancel(timer.key)
    return changed


async def materialize(ctx: Context, plan: Plan, *, first: date, not_before: datetime) -> Plan:
    """Bring the ledger in line with the plan from local date `first` to the horizon; returns
    the plan (with its first dose recorded). Call it under the plan's lock."""
    now = ctx.clock.now()
    cfg = ctx.config
    today = local_today(now, plan.zone)
    last = today + timedelta(days=cfg.horizon_days)
    first = max(first, plan.start_date)
    existing = await ctx.state.doses(plan.plan_id, since=now - timedelta(days=2))
    live = plan.active and not plan.prn
    desired = plan_doses(plan, first, last, cfg.windows) if live and first <= last else []
    change = replan(existing, desired, now=now, not_before=not_before, effective=first)
    for dose in change.cancel:
        await cancel_dose(ctx, dose, now=now)
    await ctx.state.write_doses(change.create)
    touched = {d.dose_id for d in change.create} | {d.dose_id for d in change.cancel}
    unarmed = [
        d for d in existing if d.status == "pending" and not d.armed and d.dose_id not in touched
    ]
    await arm(ctx, [*change.create, *unarmed])
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
        await ctx.state.put_plan(plan)
    if live and (plan.end_date is None or plan.end_date >= today):
        await ctx.timers.schedule(*Horizon(plan.plan_id).at(now + cfg.horizon_refresh))
    return plan


async def stop(ctx: Context, plan: Plan) -> None:
    """A stopped plan: every open dose is cancelled, every plan timer dropped."""
    now = ctx.clock.now()
    cancelled = 0
    for dose in await ctx.state.doses(plan.plan_id, since=now - timedelta(days=2)):
        if dose.status == "pending":
            cancelled += await cancel_dose(ctx, dose, now=now)
    for kind in PLAN_TIMERS:
        await ctx.timers.cancel(kind(plan.plan_id).key)
    log.info(
        "plan stopped",
        extra={
            "plan_id": plan.plan_id,
            "patient_id": plan.patient_id,
            "doses_cancelled": cancelled,
        },
    )


async def schedule_refills(ctx: Context, plan: Plan) -> None:
    """Refill reminder `lead` days before the supply runs out, lapse check `grace` days after."""
    now = ctx.clock.now()
    today = local_today(now, plan.zone)
    if not plan.in_force(today):
        for kind in (RefillDue, LapseCheck):
            await ctx.timers.cancel(kind(plan.plan_id).key)
        return
    fills = fills_for_plan(plan, await ctx.state.fills(plan.patient_id))
    supply = refill_schedule(
        fills,
        lead_days=ctx.config.refill_lead_days,
        grace_days=ctx.config.refill_grace_days,
        today=today,
    )
    if supply is None:
        return
    at = ctx.config.refill_time
    if supply.run_out > today:
        remind_at = max(resolve_local(supply.remind_on, at, plan.zone), now)
        await ctx.timers.schedule(*RefillDue(plan.plan_id).at(remind_at))
    lapse_at = max(resolve_local(supply.lapse_on, at, plan.zone), now)
    await ctx.timers.schedule(*LapseCheck(plan.plan_id).at(lapse_at))
