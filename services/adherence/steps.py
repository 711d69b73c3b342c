"""What each durable timer does when it fires (`fire`): the steps of a dose (reminder,
follow-up, caregiver notice, missed cut-off) and the plan and patient checks. Every step is
idempotent: it reads the dose's state and publishes under a claim, so a timer fired twice acts
once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio.client import Pipeline

from services.adherence import messages
from services.adherence.alerting import review_patient, review_plan
from services.adherence.context import Context
from services.adherence.planner import materialize, schedule_refills
from services.adherence.rules.model import Dose, Plan
from services.adherence.rules.refills import fills_for_plan, refill_schedule
from services.adherence.rules.schedule import local_today
from services.adherence.state import State
from services.adherence.timers import DataGap, DoseStep, Horizon, PlanTimer, RefillDue, parse
from shared.broker import TRANSIENT
from shared.localtime import resolve_local
from shared.timers import Timer

log = logging.getLogger("mtm.adherence.steps")

SLACK = timedelta(seconds=1)


async def fire(ctx: Context, timer: Timer) -> None:
    """The TimerWorker's handler: a step that meets Kafka or Redis away (or a busy claim) is
    postponed rather than retried, since a timer that uses up its attempts is buried and a
    buried reminder would be a lost dose."""
    try:
        match parse(timer):
            case DoseStep(dose_id, step):
                await dose_step(ctx, dose_id, step)
            case DataGap(patient_id):
                await review_patient(ctx, patient_id)
            case PlanTimer() as plan_timer:
                await plan_step(ctx, plan_timer)
            case None:
                log.error("unknown timer kind", extra={"timer": timer.key})
    except TRANSIENT as exc:
        retry_at = ctx.clock.now() + ctx.config.transient_retry
        await ctx.timers.schedule(timer.key, retry_at, timer.payload)
        log.warning(
            "timer step postponed", extra={"timer": timer.key, "error_class": type(exc).__name__}
        )


async def dose_step(ctx: Context, dose_id: str, step: str) -> None:
    dose, plan = await ctx.state.dose_and_plan(dose_id)
    if dose is None or plan is None:
        return
    match step:
        case "reminder" | "followup":
            await prompt(ctx, plan, dose, step)
        case "caregiver":
            await caregiver(ctx, plan, dose)
        case "cutoff":
            await cutoff(ctx, plan, dose)


@dataclass(frozen=True)
class PromptSent:
    """The dose was asked about: its reminded_at/followed_up_at (the first time) and the
    patient's last prompt, written with the request's publish claim."""

    state: State
    dose: Dose
    at: datetime
    field: str | None

    def queue(self, pipe: Pipeline) -> None:
        d = self.dose
        self.state.queue_prompt_sent(pipe, d.dose_id, d.patient_id, self.at, field=self.field)

    async def write(self) -> None:
        d = self.dose
        await self.state.prompt_sent(d.dose_id, d.patient_id, self.at, field=self.field)


async def prompt(ctx: Context, plan: Plan, dose: Dose, step: messages.Prompt) -> None:
    """The reminder, or the one follow-up if nothing came back; late ones go out until the
    cut-off (a late dose still counts as taken), never after."""
    now = ctx.clock.now()
    if dose.status != "pending" or not plan.active or now >= dose.cutoff_at:
        return
    if step == "followup" and dose.followup_at is not None:
        # After an outage the reminder may just have gone out: give the patient the full
        # interval to answer it before following up.
        offset = dose.followup_at - dose.scheduled_at
        _, pending = await ctx.timers.get(DoseStep(dose.dose_id, "reminder").key)
        sent = dose.reminded_at
        if pending is not None or (sent is not None and sent + offset > now + SLACK):
            retry = (sent or now) + offset
            if retry < dose.cutoff_at:
                await ctx.timers.schedule(*DoseStep(dose.dose_id, "followup").at(retry))
            return
    event = messages.dose_prompt(dose, plan, step)
    field = "reminded_at" if step == "reminder" else "followed_up_at"
    noted = PromptSent(ctx.state, dose, now, field if getattr(dose, field) is None else None)
    fresh = await ctx.once.publish(event.dedup_key, event, ctx.bus, along=noted)
    if not fresh:  # published before (a re-fired timer): make sure the dose says so
        await noted.write()
    if fresh:
        log.info(
            "dose prompt requested",
            extra={
                "step": step,
                "dose_id": dose.dose_id,
                "plan_id": plan.plan_id,
                "patient_id": dose.patient_id,
                "notification_id": str(event.notification_id),
            },
        )


async def caregiver(ctx: Context, plan: Plan, dose: Dose) -> None:
    """Tell linked caregivers that a dose the patient was asked about is still unconfirmed."""
    now = ctx.clock.now()
    if dose.status not in ("pending", "missed") or not plan.active:
        return
    delay = ctx.config.windows.caregiver_delay
    timer = DoseStep(dose.dose_id, "caregiver")
    if dose.reminded_at is None and dose.followed_up_at is None:
        # Not asked yet (a reminder postponed by an outage): look again later, while it can be.
        if dose.status == "pending" and now + SLACK < dose.cutoff_at:
            await ctx.timers.schedule(*timer.at(min(now + delay, dose.cutoff_at)))
        return
    last_prompt = dose.followed_up_at or dose.reminded_at or now
    if dose.followed_up_at is None and dose.followup_at is not None and dose.status == "pending":
        # The follow-up is still to come: the caregiver hears only after it went unanswered.
        offset = dose.followup_at - dose.scheduled_at
        last_prompt = max(dose.followup_at, (dose.reminded_at or now) + offset)
    due = min(last_prompt + delay, dose.cutoff_at)
    if due > now + SLACK and dose.status == "pending":
        await ctx.timers.schedule(*timer.at(due))
        return
    patient = await ctx.state.patient(dose.patient_id)
    if patient.discharged:
        return
    for caregiver_id in patient.caregivers:
        event = messages.caregiver_notice(dose, plan, caregiver_id)
        if await ctx.once.publish(event.dedup_key, event, ctx.bus):
            log.info(
                "caregiver notice requested",
                extra={
                    "dose_id": dose.dose_id,
                    "patient_id": dose.patient_id,
                    "caregiver_id": caregiver_id,
                    "notification_id": str(event.notification_id),
                },
            )


async def cutoff(ctx: Context, plan: Plan, dose: Dose) -> None:
    """Close an unanswered dose: missed if the patient was asked, unknown if no prompt could go
    out in time; publish DoseMissed for a missed dose; then review the plan's rules."""
    if dose.status == "pending":
        asked = dose.reminded_at is not None or dose.followed_up_at is not None
        status = "missed" if asked else "unknown"
        await ctx.state.transition(dose.dose_id, allowed=("pending",), status=status)
        dose = await ctx.state.dose(dose.dose_id) or dose
        log.info(
            "dose closed",
            extra={
                "dose_id": dose.dose_id,
                "status": dose.status,
                "plan_id": plan.plan_id,
                "patient_id": plan.patient_id,
            },
        )
    if dose.status == "missed":
        missed = messages.dose_missed(dose, plan, "no_reply")
        await ctx.once.publish(f"missed:{dose.dose_id}", missed, ctx.bus)
    async with ctx.state.lock(f"plan:{plan.plan_id}"):
        current = await ctx.state.plan(plan.plan_id)
        if current is not None:
            await review_plan(ctx, current)
    await review_patient(ctx, plan.patient_id)


async def plan_step(ctx: Context, timer: PlanTimer) -> None:
    """Move the horizon on, or remind about a refill; then (not after a refill reminder)
    review the plan's rules: what a gap or lapse timer is for."""
    async with ctx.state.lock(f"plan:{timer.plan_id}"):
        plan = await ctx.state.plan(timer.plan_id)
        if plan is None or not plan.active:
            return
        if isinstance(timer, Horizon):
            now = ctx.clock.now()
            plan = await materialize(ctx, plan, first=local_today(now, plan.zone), not_before=now)
            await schedule_refills(ctx, plan)
        elif isinstance(timer, RefillDue):
            await refill(ctx, plan)
            return
        await review_plan(ctx, plan)


async def refill(ctx: Context, plan: Plan) -> None:
    """The refill reminder, if the supply it was set for still runs out on that day."""
    if plan.prn:
        return
    now = ctx.clock.now()
    today = local_today(now, plan.zone)
    cfg = ctx.config
    fills = fills_for_plan(plan, await ctx.state.fills(plan.patient_id))
    supply = refill_schedule(
        fills, lead_days=cfg.refill_lead_days, grace_days=cfg.refill_grace_days, today=today
    )
    if supply is None or supply.run_out <= today:
        return
    if supply.remind_on > today:  # a newer fill moved the run-out: remind later
        await schedule_refills(ctx, plan)
        return
    expires = resolve_local(supply.run_out, cfg.refill_time, plan.zone)
    event = messages.refill_reminder(plan, supply, today, expires)
    if await ctx.once.publish(event.dedup_key, event, ctx.bus):
        log.info(
            "refill reminder requested",
            extra={
                "plan_id": plan.plan_id,
                "patient_id": plan.patient_id,
                "notification_id": str(event.notification_id),
            },
        )
