"""Pure rules of the reminders service: no I/O, no settings, the current time passed in."""

from services.reminders.rules.cascade import (
    Decision,
    fire_decision,
    plan,
    planning_zone,
    superseded,
    timer_actions,
    why_not_wanted,
)
from services.reminders.rules.localtime import days_before_same_wall_time, resolve_local
from services.reminders.rules.model import (
    REBOOK,
    Appointment,
    Offset,
    PlannedStep,
    Policy,
    Profile,
    Site,
    TimerActions,
)

__all__ = [
    "REBOOK",
    "Appointment",
    "Decision",
    "Offset",
    "PlannedStep",
    "Policy",
    "Profile",
    "Site",
    "TimerActions",
    "days_before_same_wall_time",
    "fire_decision",
    "plan",
    "planning_zone",
    "resolve_local",
    "superseded",
    "timer_actions",
    "why_not_wanted",
]
