"""The cascade's durable timers: keep them in step with an appointment's state, and fire them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from services.reminders.rules import (
    REBOOK,
    Appointment,
    Policy,
    Profile,
    fire_decision,
    messages,
    plan,
    planning_zone,
    timer_actions,
)
from services.reminders.state import Store
from shared.broker import EventBus
from shared.clock import Clock
from shared.events import NotificationRequested
from shared.idempotency import EventLedger
from shared.timers import Timer, Timers

log = logging.getLogger("mtm.reminders")

TIMERS_NAMESPACE = "appointments"


@dataclass
class Deps:
    """What the handlers work with."""

    store: Store
    timers: Timers
    bus: EventBus
    clock: Clock
    policy: Policy
    ledger: EventLedger


def timer_key(appointment_id: str, step: str) -> str:
    return f"{appointment_id}:{step}"


async def publish_once(deps: Deps, request: NotificationRequested, appt: Appointment) -> None:
    """Publish unless this text was already published. A crash between the two steps publishes
    it again with the same notification_id, which the dispatcher sends once."""
    if await deps.store.was_sent(request.dedup_key):
        return
    await deps.bus.publish(request)
    await deps.store.mark_sent(request.dedup_key)
    log.info(
        "notification requested",
        extra={
            "template_id": request.template_id,
            "notification_id": str(request.notification_id),
            "appointment_id": appt.appointment_id,
            "patient_id": appt.patient_id,
        },
    )


async def sync_timers(
    deps: Deps, appt: Appointment, profile: Profile, *, since: datetime | None = None
) -> None:
    """Make the appointment's timers match what its state still wants (reminders due before
    `since`, default now, are not created)."""
    site = deps.policy.site(appt.site_id)
    steps = plan(appt, site, planning_zone(profile, site))
    existing: dict[str, datetime | None] = {}
    stale: set[str] = set()
    for name in {s.name for s in steps} | {o.name for o in site.cascade} | {REBOOK}:
        due, payload = await deps.timers.get(timer_key(appt.appointment_id, name))
        if payload is None:
            continue
        if payload.get("revision") == appt.revision:
            existing[name] = due
        else:
            stale.add(name)
    sent = {s.name for s in steps if await deps.store.was_sent(messages.dedup_key(appt, s.name))}
    actions = timer_actions(
        steps,
        appt,
        profile,
        now=deps.clock.now(),
        since=since,
        existing=existing,
        stale=stale,
        sent=sent,
    )
    for step in actions.schedule:
        await schedule(deps, appt, step.name, step.due)
    for name in actions.cancel:
        await deps.timers.cancel(timer_key(appt.appointment_id, name))
    if actions.schedule or actions.cancel:
        log.info(
            "reminders planned",
            extra={
                "appointment_id": appt.appointment_id,
                "patient_id": appt.patient_id,
                "scheduled": [s.name for s in actions.schedule],
                "cancelled": actions.cancel,
            },
        )


async def schedule(deps: Deps, appt: Appointment, step: str, due: datetime) -> None:
    payload = {"appointment_id": appt.appointment_id, "step": step, "revision": appt.revision}
    await deps.timers.schedule(timer_key(appt.appointment_id, step), due, payload)


async def on_timer(deps: Deps, timer: Timer) -> None:
    """A reminder (or the rebook text) is due: send it if the appointment still wants it."""
    appointment_id, name = timer.payload["appointment_id"], timer.payload["step"]
    async with deps.store.lock(appointment_id):
        now = deps.clock.now()
        appt = await deps.store.appointment(appointment_id)
        profile = await deps.store.profile(appt.patient_id) if appt else Profile()
        site = deps.policy.site(appt.site_id if appt else "")
        decision = fire_decision(name, timer.payload["revision"], appt, profile, site, now=now)
        if decision != "send" or appt is None:
            log.info(
                "reminder dropped",
                extra={
                    "appointment_id": appointment_id,
                    "step": name,
                    "reason": decision,
                    "patient_id": appt.patient_id if appt else None,
                },
            )
            return
        if name == REBOOK:
            request = messages.rebook_invitation(appt, deps.policy, now=now)
        else:
            step = next(s for s in plan(appt, site, planning_zone(profile, site)) if s.name == name)
            request = messages.reminder(appt, step, now=now)
        await publish_once(deps, request, appt)
