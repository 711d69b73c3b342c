"""Event handlers: load state, apply a rule, store state, move timers, then publish."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaRouter

from services.reminders.rules import REBOOK, Appointment, lifecycle, messages
from services.reminders.timing import Deps, publish_once, schedule, sync_timers, timer_key
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

log = logging.getLogger("mtm.reminders")


def _booked_at(event: Event, now: datetime) -> datetime:
    """When the slot was booked: reminders due later are sent even if this event is handled late
    (a crash, a lagging consumer), so none is lost; a clock ahead of ours counts as now."""
    return min(event.occurred_at, now)


async def on_appointment_booked(deps: Deps, event: AppointmentBooked) -> None:
    now = deps.clock.now()
    async with deps.store.lock(event.appointment_id):
        appt = lifecycle.booked(
            await deps.store.appointment(event.appointment_id),
            appointment_id=event.appointment_id,
            patient_id=event.patient_id,
            site_id=event.site_id,
            start=event.start,
            modality=event.modality,
            join_url=event.join_url,
            correlation_id=event.correlation_id,
        )
        profile = await deps.store.profile(appt.patient_id)
        await deps.store.save(appt, now=now)
        await sync_timers(deps, appt, profile, since=_booked_at(event, now))
        if appt.status == "booked" and appt.start > now and not profile.discharged:
            notice = messages.booking_notice(appt, rescheduled=False, now=now)
            await publish_once(deps, notice, appt)


async def on_appointment_rescheduled(deps: Deps, event: AppointmentRescheduled) -> None:
    now = deps.clock.now()
    async with deps.store.lock(event.appointment_id):
        profile = await deps.store.profile(event.patient_id)
        appt = lifecycle.rescheduled(
            await deps.store.appointment(event.appointment_id),
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
        await deps.store.save(appt, now=now)
        await sync_timers(deps, appt, profile, since=_booked_at(event, now))
        if appt.status == "booked" and appt.start > now and not profile.discharged:
            notice = messages.booking_notice(appt, rescheduled=True, now=now)
            await publish_once(deps, notice, appt)


async def _update(
    deps: Deps, appointment_id: str, change: Callable[[Appointment], Appointment]
) -> Appointment | None:
    """Apply a state change to a known appointment and resync its timers (caller holds the lock)."""
    current = await deps.store.appointment(appointment_id)
    if current is None:
        log.info(
            "event for an unknown appointment; nothing to do",
            extra={"appointment_id": appointment_id},
        )
        return None
    appt = change(current)
    await deps.store.save(appt, now=deps.clock.now())
    await sync_timers(deps, appt, await deps.store.profile(appt.patient_id))
    return appt


async def on_appointment_cancelled(deps: Deps, event: AppointmentCancelled) -> None:
    async with deps.store.lock(event.appointment_id):
        appt = await _update(deps, event.appointment_id, lambda a: lifecycle.ended(a, "cancelled"))
        if appt is None or appt.status != "cancelled":
            return
        profile = await deps.store.profile(appt.patient_id)
        now = deps.clock.now()
        if appt.start > now and not profile.discharged:
            notice = messages.cancellation_notice(appt, now=now)
            await publish_once(deps, notice, appt)


async def on_appointment_confirmed(deps: Deps, event: AppointmentConfirmed) -> None:
    async with deps.store.lock(event.appointment_id):
        await _update(deps, event.appointment_id, lifecycle.confirmed)


async def on_appointment_change_requested(deps: Deps, event: AppointmentChangeRequested) -> None:
    async with deps.store.lock(event.appointment_id):
        await _update(
            deps, event.appointment_id, lambda a: lifecycle.change_requested(a, event.request)
        )


async def on_appointment_completed(deps: Deps, event: AppointmentCompleted) -> None:
    async with deps.store.lock(event.appointment_id):
        await _update(deps, event.appointment_id, lambda a: lifecycle.ended(a, "completed"))


async def on_appointment_no_show(deps: Deps, event: AppointmentNoShow) -> None:
    async with deps.store.lock(event.appointment_id):
        appt = await _update(deps, event.appointment_id, lambda a: lifecycle.ended(a, "no_show"))
        if appt is None or appt.status != "no_show":
            return
        _, payload = await deps.timers.get(timer_key(appt.appointment_id, REBOOK))
        if payload is None and not await deps.store.was_sent(messages.dedup_key(appt, REBOOK)):
            due = messages.rebook_due(appt, deps.policy, deps.clock.now())
            await schedule(deps, appt, REBOOK, due)


async def _resync_patient(deps: Deps, patient_id: str) -> None:
    """Re-plan every open appointment of a patient (zone changed, discharged, re-enrolled)."""
    for appointment_id in await deps.store.open_appointments(patient_id):
        async with deps.store.lock(appointment_id):
            appt = await deps.store.appointment(appointment_id)
            if appt is None:
                await deps.store.forget(patient_id, appointment_id)
                continue
            await sync_timers(deps, appt, await deps.store.profile(patient_id))


async def on_patient_enrolled(deps: Deps, event: PatientEnrolled) -> None:
    before, after = await deps.store.update_profile(
        event.patient_id,
        zone=event.zone,
        site_id=event.site_id,
        discharged=False,
    )
    if before != after:
        await _resync_patient(deps, event.patient_id)


async def on_patient_contact_changed(deps: Deps, event: PatientContactChanged) -> None:
    before, after = await deps.store.update_profile(event.patient_id, zone=event.zone)
    if before.zone != after.zone:
        await _resync_patient(deps, event.patient_id)


async def on_patient_discharged(deps: Deps, event: PatientDischarged) -> None:
    await deps.store.update_profile(event.patient_id, discharged=True)
    await _resync_patient(deps, event.patient_id)


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


async def handle(deps: Deps, event: Event) -> None:
    """Run the event's handler once: a redelivered, already handled event is skipped; one whose
    handling was cut short runs again (every step is idempotent)."""
    await deps.ledger.admit(event)
    handler = HANDLERS.get(type(event))
    if handler is None or await deps.store.handled(str(event.event_id)):
        return
    await handler(deps, event)
    await deps.store.mark_handled(str(event.event_id))


def make_router(deps: Deps, *, prefix: str = "") -> KafkaRouter:
    """The reminders router: mtm.appointments and mtm.patients, one group per topic."""
    router = KafkaRouter()

    @subscriber(
        router,
        topics.APPOINTMENTS,
        group=group_id(topics.Groups.REMINDERS, topics.APPOINTMENTS, prefix=prefix),
        bulk=True,
    )
    async def on_appointments(event: AppointmentsEvent) -> None:
        await handle(deps, event)

    @subscriber(
        router,
        topics.PATIENTS,
        group=group_id(topics.Groups.REMINDERS, topics.PATIENTS, prefix=prefix),
        bulk=True,
    )
    async def on_patients(event: PatientsEvent) -> None:
        await handle(deps, event)

    return router
