"""Event handlers: load state, apply a rule, store state, move timers, then publish."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaRouter

from services.reminders import timers
from services.reminders.context import Context
from services.reminders.rules import REBOOK, Appointment, lifecycle, messages
from services.reminders.timers import Rebook, schedule, sync_timers, timer_key
from shared import topics
from shared.broker import group_id, subscriber
from shared.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentChangeRequested,
    AppointmentCompleted,
    AppointmentConfirmed,
    AppointmentNoShow,
    AppointmentRescheduled,
    AppointmentsEvent,
    Event,
    PatientContactChanged,
    PatientDischarged,
    PatientEnrolled,
    PatientsEvent,
)
from shared.timers import Timer

log = logging.getLogger("mtm.reminders")


def _booked_at(event: Event, now: datetime) -> datetime:
    """When the slot was booked: reminders due later are sent even if this event is handled late
    (a crash, a lagging consumer), so none is lost; a clock ahead of ours counts as now."""
    return min(event.occurred_at, now)


async def on_appointment_booked(ctx: Context, event: AppointmentBooked) -> None:
    now = ctx.clock.now()
    async with ctx.store.lock(event.appointment_id):
        appt = lifecycle.booked(
            await ctx.store.appointment(event.appointment_id),
            appointment_id=event.appointment_id,
            patient_id=event.patient_id,
            site_id=event.site_id,
            start=event.start,
            modality=event.modality,
            join_url=event.join_url,
            correlation_id=event.correlation_id,
        )
        profile = await ctx.store.profile(appt.patient_id)
        await ctx.store.save(appt, now=now)
        await sync_timers(ctx, appt, profile, since=_booked_at(event, now))
        if appt.status == "booked" and appt.start > now and not profile.discharged:
            notice = messages.booking_notice(appt, rescheduled=False, now=now)
            await ctx.publish_once(notice, appt)


async def on_appointment_rescheduled(ctx: Context, event: AppointmentRescheduled) -> None:
    now = ctx.clock.now()
    async with ctx.store.lock(event.appointment_id):
        profile = await ctx.store.profile(event.patient_id)
        appt = lifecycle.rescheduled(
            await ctx.store.appointment(event.appointment_id),
            appointment_id=event.appointment_id,
            patient_id=event.patient_id,
            start=event.start,
            modality=event.modality,
            site_id=event.site_id or profile.site_id,
            correlation_id=event.correlation_id,
        )
        if appt is None:
            log.warning(
                "reschedule of an unknown appointment at an unknown site; ignored",
                extra={"appointment_id": event.appointment_id},
            )
            return
        await ctx.store.save(appt, now=now)
        await sync_timers(ctx, appt, profile, since=_booked_at(event, now))
        if appt.status == "booked" and appt.start > now and not profile.discharged:
            notice = messages.booking_notice(appt, rescheduled=True, now=now)
            await ctx.publish_once(notice, appt)


async def _update(
    ctx: Context, appointment_id: str, change: Callable[[Appointment], Appointment]
) -> Appointment | None:
    """Apply a state change to a known appointment and resync its timers (caller holds the lock)."""
    current = await ctx.store.appointment(appointment_id)
    if current is None:
        log.info(
            "event for an unknown appointment; nothing to do",
            extra={"appointment_id": appointment_id},
        )
        return None
    appt = change(current)
    await ctx.store.save(appt, now=ctx.clock.now())
    await sync_timers(ctx, appt, await ctx.store.profile(appt.patient_id))
    return appt


async def on_appointment_cancelled(ctx: Context, event: AppointmentCancelled) -> None:
    async with ctx.store.lock(event.appointment_id):
        appt = await _update(ctx, event.appointment_id, lambda a: lifecycle.ended(a, "cancelled"))
        if appt is None or appt.status != "cancelled":
            return
        profile = await ctx.store.profile(appt.patient_id)
        now = ctx.clock.now()
        if appt.start > now and not profile.discharged:
            notice = messages.cancellation_notice(appt, now=now)
            await ctx.publish_once(notice, appt)


async def on_appointment_confirmed(ctx: Context, event: AppointmentConfirmed) -> None:
    async with ctx.store.lock(event.appointment_id):
        await _update(ctx, event.appointment_id, lifecycle.confirmed)


async def on_appointment_change_requested(ctx: Context, event: AppointmentChangeRequested) -> None:
    async with ctx.store.lock(event.appointment_id):
        await _update(
            ctx, event.appointment_id, lambda a: lifecycle.change_requested(a, event.request)
        )


async def on_appointment_completed(ctx: Context, event: AppointmentCompleted) -> None:
    async with ctx.store.lock(event.appointment_id):
        await _update(ctx, event.appointment_id, lambda a: lifecycle.ended(a, "completed"))


async def on_appointment_no_show(ctx: Context, event: AppointmentNoShow) -> None:
    async with ctx.store.lock(event.appointment_id):
        appt = await _update(ctx, event.appointment_id, lambda a: lifecycle.ended(a, "no_show"))
        if appt is None or appt.status != "no_show":
            return
        _, payload = await ctx.timers.get(timer_key(appt.appointment_id, REBOOK))
        if payload is None and not await ctx.was_sent(messages.dedup_key(appt, REBOOK)):
            due = messages.rebook_due(appt, ctx.policy, ctx.clock.now())
            await schedule(ctx, Rebook(appt.appointment_id, appt.revision), due)


async def _resync_patient(ctx: Context, patient_id: str) -> None:
    """Re-plan every open appointment of a patient (zone changed, discharged, re-enrolled)."""
    for appointment_id in await ctx.store.open_appointments(patient_id):
        async with ctx.store.lock(appointment_id):
            appt = await ctx.store.appointment(appointment_id)
            if appt is None:
                await ctx.store.forget(patient_id, appointment_id)
                continue
            await sync_timers(ctx, appt, await ctx.store.profile(patient_id))


async def on_patient_enrolled(ctx: Context, event: PatientEnrolled) -> None:
    before, after = await ctx.store.update_profile(
        event.patient_id,
        zone=event.zone,
        site_id=event.site_id,
        discharged=False,
    )
    if before != after:
        await _resync_patient(ctx, event.patient_id)


async def on_patient_contact_changed(ctx: Context, event: PatientContactChanged) -> None:
    before, after = await ctx.store.update_profile(event.patient_id, zone=event.zone)
    if before.zone != after.zone:
        await _resync_patient(ctx, event.patient_id)


async def on_patient_discharged(ctx: Context, event: PatientDischarged) -> None:
    await ctx.store.update_profile(event.patient_id, discharged=True)
    await _resync_patient(ctx, event.patient_id)


HANDLERS: dict[type[Event], Any] = {
    AppointmentBooked: on_appointment_booked,
    AppointmentRescheduled: on_appointment_rescheduled,
    AppointmentCancelled: on_appointment_cancelled,
    AppointmentConfirmed: on_appointment_confirmed,
    AppointmentChangeRequested: on_appointment_change_requested,
    AppointmentCompleted: on_appointment_completed,
    AppointmentNoShow: on_appointment_no_show,
    PatientEnrolled: on_patient_enrolled,
    PatientContactChanged: on_patient_contact_changed,
    PatientDischarged: on_patient_discharged,
}


async def handle(ctx: Context, event: Event) -> None:
    """Run the event's handler once: a redelivered, already handled event is skipped; one whose
    handling was cut short runs again (every step is idempotent).

    A marker written after the handler, not a leased claim (`Once.claimed`): the handlers are
    idempotent and those of an appointment serialize on its lock, so a lease would add nothing
    but a wait of up to the lease for an event whose handler died midway."""
    await ctx.ledger.admit(event)
    handler = HANDLERS.get(type(event))
    marker = f"event:{event.event_id}"
    if handler is None or await ctx.handled.done(marker):
        return
    await handler(ctx, event)
    await ctx.handled.claims.once(marker)


async def on_timer(ctx: Context, timer: Timer) -> None:
    """A durable timer of this service is due (the TimerWorker's handler): timers.fire runs it."""
    await timers.fire(ctx, timer)


def make_router(ctx: Context, *, prefix: str = "") -> KafkaRouter:
    """The reminders router: mtm.appointments and mtm.patients, one group per topic."""
    router = KafkaRouter()

    @subscriber(
        router,
        topics.APPOINTMENTS,
        group=group_id(topics.Groups.REMINDERS, topics.APPOINTMENTS, prefix=prefix),
        bulk=True,
    )
    async def on_appointments(event: AppointmentsEvent) -> None:
        await handle(ctx, event)

    @subscriber(
        router,
        topics.PATIENTS,
        group=group_id(topics.Groups.REMINDERS, topics.PATIENTS, prefix=prefix),
        bulk=True,
    )
    async def on_patients(event: PatientsEvent) -> None:
        await handle(ctx, event)

    return router
