"""Kafka handlers of the adherence service, one per event: plans, dose reports, fills, patients.

Each event is handled once (a claim on `event:<id>`), plan mutations run under the plan's lock,
and dose transitions are atomic, so a replay changes nothing."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from faststream.kafka import KafkaRouter

from services.adherence import messages, steps
from services.adherence.alerting import review_patient, review_plan
from services.adherence.context import Context
from services.adherence.planner import materialize, schedule_refills, stop
from services.adherence.rules.model import Fill, Plan, Segment
from services.adherence.rules.schedule import local_today
from services.adherence.rules.windows import bind_report, classify_taken
from services.adherence.timers import DataGap, dose_steps
from shared import topics
from shared.broker import InvalidEvent, group_id, subscriber
from shared.events import (
    CaregiverLinked,
    CaregiverUnlinked,
    DoseSkipped,
    DoseTaken,
    Event,
    MedicationDispensed,
    MedicationPlanChanged,
    MedicationPlanStarted,
    MedicationPlanStopped,
    MedicationsEvent,
    PatientDischarged,
    PatientEnrolled,
    PatientsEvent,
)
from shared.timers import Timer

log = logging.getLogger("mtm.adherence.handlers")


async def on_plan_started(ctx: Context, e: MedicationPlanStarted) -> None:
    async with ctx.state.lock(f"plan:{e.plan_id}"):
        current = await ctx.state.plan(e.plan_id)
        if current is not None and current.started_event == str(e.event_id):
            plan = current
        else:
            patient = await ctx.state.patient(e.patient_id)
            plan = Plan(
                plan_id=e.plan_id,
                patient_id=e.patient_id,
                drug=e.drug.lower(),
                drug_class=e.drug_class,
                segments=(Segment(e.start_date, tuple(e.dose_times), e.zone),),
                start_date=e.start_date,
                end_date=e.end_date,
                prn=e.prn,
                site_id=e.site_id or patient.site_id,
                first_dose_at=current.first_dose_at if current is not None else None,
                started_event=str(e.event_id),
            )
            await ctx.state.put_plan(plan)
        now = ctx.clock.now()
        today = local_today(now, plan.zone)
        # Doses before the plan was announced are not ours to remind about or to count.
        plan = await materialize(
            ctx, plan, first=today - timedelta(days=1), not_before=min(e.occurred_at, now)
        )
        await schedule_refills(ctx, plan)
        await review_plan(ctx, plan)


async def on_plan_changed(ctx: Context, e: MedicationPlanChanged) -> None:
    async with ctx.state.lock(f"plan:{e.plan_id}"):
        plan = await ctx.state.plan(e.plan_id)
        if plan is None:
            raise InvalidEvent("MedicationPlanChanged for a plan never started here")
        if not plan.active:
            return
        now = ctx.clock.now()
        today = local_today(now, plan.zone)
        if e.dose_times is not None or e.zone is not None:
            # Without an effective date new times start tomorrow: moving today's dose to a
            # later hour after it was taken would prompt a second dose the same day.
            start = e.effective_date or today + timedelta(days=1)
            last = plan.segments[-1]
            times = tuple(e.dose_times) if e.dose_times is not None else last.times
            segment = Segment(start, times, e.zone or last.zone)
            kept = tuple(s for s in plan.segments if s.start < start)
            plan = replace(plan, segments=(*kept, segment))
        if e.end_date is not None:
            plan = replace(plan, end_date=e.end_date)
        await ctx.state.put_plan(plan)
        plan = await materialize(ctx, plan, first=today, not_before=now)
        await schedule_refills(ctx, plan)
        await review_plan(ctx, plan)


async def on_plan_stopped(ctx: Context, e: MedicationPlanStopped) -> None:
    async with ctx.state.lock(f"plan:{e.plan_id}"):
        plan = await ctx.state.plan(e.plan_id)
        if plan is None or not plan.active:
            return
        plan = replace(plan, active=False, stopped_reason=e.reason, stopped_at=e.occurred_at)
        await ctx.state.put_plan(plan)
        await stop(ctx, plan)
        await review_plan(ctx, plan)  # a patient-reported stop is itself a lithium/BZD alert


async def on_dose_reported(ctx: Context, e: DoseTaken | DoseSkipped) -> None:
    """A dose taken or skipped: close it, cancel what is left of its steps, review the rules.
    A report whose dose id we do not know binds to the plan's open dose around that time."""
    taken = isinstance(e, DoseTaken)
    at = e.taken_at if isinstance(e, DoseTaken) else e.reported_at
    plan = await ctx.state.plan(e.plan_id)
    if plan is None or plan.patient_id != e.patient_id:
        # Never let a report close a dose of another patient's plan.
        log.warning(
            "dose report for an unknown plan",
            extra={"plan_id": e.plan_id, "patient_id": e.patient_id},
        )
        return
    exact = await ctx.state.dose(e.dose_id)
    nearby = await ctx.state.doses(e.plan_id, since=at - timedelta(days=2))
    dose = bind_report(e.dose_id, at, [exact] if exact and exact.plan_id == e.plan_id else nearby)
    if dose is None:
        log.warning(
            "dose report matches no open dose",
            extra={"dose_id": e.dose_id, "plan_id": e.plan_id, "patient_id": e.patient_id},
        )
        return
    status = classify_taken(at, dose) if taken else "skipped"
    changed = False
    if status is not None:
        changed, _ = await ctx.state.transition(
            dose.dose_id,
            allowed=("pending",),
            status=status,
            reported_at=at.isoformat(),
            channel=e.channel,
        )
    if changed:
        for timer in dose_steps(dose.dose_id):
            await ctx.timers.cancel(timer.key)
        if taken:
            await ctx.state.record_taken(plan.plan_id, dose.dose_id, at)
    elif dose.status != "pending" or status is None:
        # Too late or already closed: the dose keeps its status, the report is kept beside it.
        await ctx.state.note(dose.dose_id, late_report_at=at.isoformat())
    if e.channel in ("sms", "app"):  # the patient answered: engagement, even if late
        await ctx.state.record_reply(e.patient_id, at)
        last = (await ctx.state.patient(e.patient_id)).last_reply_at or at
        hours = ctx.config.thresholds.data_gap_hours
        await ctx.timers.schedule(*DataGap(e.patient_id).at(last + timedelta(hours=hours)))
    log.info(
        "dose reported",
        extra={
            "dose_id": dose.dose_id,
            "status": status,
            "changed": changed,
            "plan_id": plan.plan_id,
            "patient_id": e.patient_id,
            "bound": dose.dose_id != e.dose_id,
        },
    )
    current = await ctx.state.dose(dose.dose_id)
    if current is not None and current.status == "skipped":
        missed = messages.dose_missed(current, plan, "skipped")
        await ctx.once.publish(f"missed:{dose.dose_id}", missed, ctx.bus)
    async with ctx.state.lock(f"plan:{plan.plan_id}"):
        await review_plan(ctx, await ctx.state.plan(plan.plan_id) or plan)
    await review_patient(ctx, e.patient_id)


async def on_dispensed(ctx: Context, e: MedicationDispensed) -> None:
    fill = Fill(
        fill_id=str(e.event_id),
        drug=e.drug.lower(),
        drug_class=e.drug_class,
        fill_date=e.fill_date,
        days_supply=e.days_supply,
        plan_id=e.plan_id,
    )
    await ctx.state.add_fill(e.patient_id, fill)
    for plan in await ctx.state.patient_plans(e.patient_id):
        related = fill.plan_id == plan.plan_id or fill.drug_class == plan.drug_class
        if not related or not plan.active:
            continue
        async with ctx.state.lock(f"plan:{plan.plan_id}"):
            current = await ctx.state.plan(plan.plan_id) or plan
            await schedule_refills(ctx, current)
            await review_plan(ctx, current)


async def on_patient(ctx: Context, e: Event) -> None:
    if isinstance(e, PatientEnrolled):
        await ctx.state.update_patient(e.patient_id, site_id=e.site_id, discharged="0")
    elif isinstance(e, CaregiverLinked | CaregiverUnlinked):
        linked = isinstance(e, CaregiverLinked)
        await ctx.state.link_caregiver(e.patient_id, e.caregiver_id, linked=linked)
    elif isinstance(e, PatientDischarged):
        await ctx.state.update_patient(e.patient_id, discharged="1")
        for plan in await ctx.state.patient_plans(e.patient_id):
            async with ctx.state.lock(f"plan:{plan.plan_id}"):
                current = await ctx.state.plan(plan.plan_id) or plan
                if current.active:
                    current = replace(
                        current, active=False, stopped_reason="discharged", stopped_at=e.occurred_at
                    )
                    await ctx.state.put_plan(current)
                    await stop(ctx, current)
                    await review_plan(ctx, current)


IGNORED = frozenset({"DoseMissed", "ConsentChanged", "PatientContactChanged"})
"""Ours (DoseMissed), or the dispatcher's business (consent, contact details)."""


async def handle(ctx: Context, event: Event) -> None:
    """Route one event, once (skipped if it was handled before)."""
    # Every record is admitted, the ignored ones too: an id is judged the same in every service.
    await ctx.ledger.admit(event)
    if event.event_type in IGNORED:
        return
    async with ctx.once.claimed(f"event:{event.event_id}") as fresh:
        if not fresh:
            return
        match event:
            case MedicationPlanStarted():
                await on_plan_started(ctx, event)
            case MedicationPlanChanged():
                await on_plan_changed(ctx, event)
            case MedicationPlanStopped():
                await on_plan_stopped(ctx, event)
            case DoseTaken() | DoseSkipped():
                await on_dose_reported(ctx, event)
            case MedicationDispensed():
                await on_dispensed(ctx, event)
            case _:
                await on_patient(ctx, event)


async def on_timer(ctx: Context, timer: Timer) -> None:
    """A durable timer of this service is due (the TimerWorker's handler): steps.fire runs it."""
    await steps.fire(ctx, timer)


def make_router(ctx: Context, *, prefix: str = "") -> KafkaRouter:
    """mtm.medications and mtm.patients, a consumer group each (`mtm-adherence-<topic>`, with
    the topic prefix), fetched in batches: no page travels on them."""
    router = KafkaRouter()

    def group(topic: str) -> str:
        return group_id(topics.Groups.ADHERENCE, topic, prefix=prefix)

    @subscriber(router, topics.MEDICATIONS, group=group(topics.MEDICATIONS), bulk=True)
    async def on_medications(event: MedicationsEvent) -> None:
        await handle(ctx, event)

    @subscriber(router, topics.PATIENTS, group=group(topics.PATIENTS), bulk=True)
    async def on_patients(event: PatientsEvent) -> None:
        await handle(ctx, event)

    return router
