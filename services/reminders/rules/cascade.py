"""The cascade (APPT-CASCADE): when its reminders fall, which are still wanted, what a timer
does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from services.reminders.rules.localtime import days_before_same_wall_time
from services.reminders.rules.model import (
    REBOOK,
    Appointment,
    PlannedStep,
    Profile,
    Site,
    TimerActions,
)

Decision = Literal[
    "send",
    "unknown_appointment",
    "stale",
    "discharged",
    "cancelled",
    "completed",
    "no_show",
    "not_no_show",
    "not_in_cascade",
    "confirmed",
    "change_requested",
    "superseded",
    "started",
]


def planning_zone(profile: Profile, site: Site) -> str:
    """The zone whose wall clock day-before reminders keep: the patient's, else the site's."""
    return profile.zone or site.zone


def plan(appt: Appointment, site: Site, zone: str) -> list[PlannedStep]:
    """Every reminder of the site's cascade for this appointment, earliest first (past ones too)."""
    steps = []
    for offset in site.cascade:
        if offset.modality is not None and offset.modality != appt.modality:
            continue
        if offset.clock == "wall":
            due = days_before_same_wall_time(appt.start, offset.before.days, zone)
        else:
            due = appt.start - offset.before
        steps.append(PlannedStep(offset.name, due, offset.reask))
    return sorted(steps, key=lambda s: s.due)


def why_not_wanted(step: PlannedStep, appt: Appointment, profile: Profile) -> Decision | None:
    """None if the reminder should still go out; else the reason it should not."""
    if profile.discharged:
        return "discharged"
    if appt.status != "booked":
        return appt.status
    if appt.change_requested is not None:
        # APPT-CASCADE: the final nudge only goes to a confirmed or silent patient.
        return "change_requested"
    if appt.confirmed and step.reask:
        return "confirmed"
    return None


def timer_actions(
    steps: list[PlannedStep],
    appt: Appointment,
    profile: Profile,
    *,
    now: datetime,
    since: datetime | None = None,
    existing: Mapping[str, datetime | None],
    stale: set[str],
    sent: set[str],
) -> TimerActions:
    """Timers to create or move and timers to cancel, so that exactly the wanted future ones exist.

    `existing`: this revision's timers by step name (due, or None while in flight); `stale`:
    timers planned for an earlier slot; `sent`: steps already published for this revision.
    `since`: when the booking was made (default now): a step due by then is never created (it is
    not fired late), but one due after it is, even if already past (handled late after downtime:
    the firing rule then sends only the latest). Nothing is created once the appointment has
    started, and a pending timer is never cancelled for being due.
    """
    by_name = {s.name: s for s in steps}
    since = now if since is None else since
    schedule = []
    for step in steps:
        if why_not_wanted(step, appt, profile) or step.name in sent or step.due <= since:
            continue
        if appt.start <= now:
            continue  # e.g. an old booking replayed: no reminder can help any more
        if step.name in existing and _same_instant(existing[step.name], step.due):
            continue  # in flight (None), or already in place
        schedule.append(step)
    moved = {s.name for s in schedule}
    cancel = []
    for name in sorted(set(existing) | stale):
        if name in moved:
            continue  # scheduling replaces the timer
        if name == REBOOK:
            if appt.status != "no_show" or name in stale:
                cancel.append(name)
            continue
        planned = by_name.get(name)
        if name in stale or planned is None or why_not_wanted(planned, appt, profile):
            cancel.append(name)
    return TimerActions(schedule=schedule, cancel=cancel)


def _same_instant(due: datetime | None, planned: datetime) -> bool:
    # Timers keep milliseconds; a start may carry microseconds.
    return due is None or abs(due - planned) < timedelta(milliseconds=1)


def superseded(step: PlannedStep, wanted: list[PlannedStep], now: datetime) -> bool:
    """A later wanted reminder is already due (after downtime): send that one, not both."""
    return any(other.due > step.due and other.due <= now for other in wanted)


def fire_decision(
    name: str,
    planned_revision: int,
    appt: Appointment | None,
    profile: Profile,
    site: Site,
    *,
    now: datetime,
) -> Decision:
    """Whether a timer that fires now still sends its text, or why not."""
    if appt is None:
        return "unknown_appointment"
    if planned_revision != appt.revision:
        return "stale"
    if profile.discharged:
        return "discharged"
    if name == REBOOK:
        return "send" if appt.status == "no_show" else "not_no_show"
    if appt.start <= now:
        return "started"
    steps = plan(appt, site, planning_zone(profile, site))
    step = next((s for s in steps if s.name == name), None)
    if step is None:
        return "not_in_cascade"
    reason = why_not_wanted(step, appt, profile)
    if reason is not None:
        return reason
    wanted = [s for s in steps if why_not_wanted(s, appt, profile) is None]
    return "superseded" if superseded(step, wanted, now) else "send"
