"""The cascade's durable timers: their kinds, keeping them in step with an appointment's state,
and firing them.

Stored as `<appointment_id>:<step>` in the `appointments` namespace with the payload
`{"appointment_id", "step", "revision"}`; `step` is a step of the cascade or `rebook`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.reminders.context import Context
from services.reminders.rules import (
    REBOOK,
    Appointment,
    Profile,
    fire_decision,
    messages,
    plan,
    planning_zone,
    timer_actions,
)
from shared.timers import Timer

log = logging.getLogger("mtm.reminders")

TIMERS_NAMESPACE = "appointments"


@dataclass(frozen=True)
class Reminder:
    """A reminder of the cascade (`step`: d3, d1, h2...) planned for slot revision `revision`."""

    appointment_id: str
    step: str
    revision: int


@dataclass(frozen=True)
class Rebook:
    """The "we missed you" text after a no-show of slot revision `revision`."""

    appointment_id: str
    revision: int
    step = REBOOK


Kind = Reminder | Rebook


def timer_key(appointment_id: str, step: str) -> str:
    return f"{appointment_id}:{step}"


def payload(kind: Kind) -> dict[str, Any]:
    return {"appointment_id": kind.appointment_id, "step": kind.step, "revision": kind.revision}


def read(data: dict[str, Any]) -> Kind | None:
    """The kind of a stored payload; None for a shape this service never wrote."""
    appointment_id, step, revision = (data.get(k) for k in ("appointment_id", "step", "revision"))
    if not isinstance(appointment_id, str) or not isinstance(step, str):
        return None
    if not isinstance(revision, int):
        return None
    if step == REBOOK:
        return Rebook(appointment_id, revision)
    return Reminder(appointment_id, step, revision)


def parse(timer: Timer) -> Kind | None:
    return read(timer.payload)


async def schedule(ctx: Context, kind: Kind, due: datetime) -> None:
    await ctx.timers.schedule(timer_key(kind.appointment_id, kind.step), due, payload(kind))


async def sync_timers(
    ctx: Context, appt: Appointment, profile: Profile, *, since: datetime | None = None
) -> None:
    """Make the appointment's timers match what its state still wants (reminders due before
    `since`, default now, are not created)."""
    site = ctx.policy.site(appt.site_id)
    steps = plan(appt, site, planning_zone(profile, site))
    existing: dict[str, datetime | None] = {}
    stale: set[str] = set()
    for name in {s.name for s in steps} | {o.name for o in site.cascade} | {REBOOK}:
        due, data = await ctx.timers.get(timer_key(appt.appointment_id, name))
        if data is None:
            continue
        if data.get("revision") == appt.revision:
            existing[name] = due
        else:
            stale.add(name)
    sent = {s.name for s in steps if await ctx.was_sent(messages.dedup_key(appt, s.name))}
    actions = timer_actions(
        steps,
        appt,
        profile,
        now=ctx.clock.now(),
        since=since,
        existing=existing,
        stale=stale,
        sent=sent,
    )
    for step in actions.schedule:
        await schedule(ctx, Reminder(appt.appointment_id, step.name, appt.revision), step.due)
    for name in actions.cancel:
        await ctx.timers.cancel(timer_key(appt.appointment_id, name))
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


async def fire(ctx: Context, timer: Timer) -> None:
    """A reminder (or the rebook text) is due: send it if the appointment still wants it."""
    kind = parse(timer)
    if kind is None:
        log.warning("timer of an unknown shape dropped", extra={"timer": timer.key})
        return
    async with ctx.store.lock(kind.appointment_id):
        now = ctx.clock.now()
        appt = await ctx.store.appointment(kind.appointment_id)
        profile = await ctx.store.profile(appt.patient_id) if appt else Profile()
        site = ctx.policy.site(appt.site_id if appt else "")
        decision = fire_decision(kind.step, kind.revision, appt, profile, site, now=now)
        if decision != "send" or appt is None:
            log.info(
                "reminder dropped",
                extra={
                    "appointment_id": kind.appointment_id,
                    "step": kind.step,
                    "reason": decision,
                    "patient_id": appt.patient_id if appt else None,
                },
            )
            return
        match kind:
            case Rebook():
                request = messages.rebook_invitation(appt, ctx.policy, now=now)
            case Reminder(step=name):
                steps = plan(appt, site, planning_zone(profile, site))
                request = messages.reminder(appt, next(s for s in steps if s.name == name), now=now)
        await ctx.publish_once(request, appt)
