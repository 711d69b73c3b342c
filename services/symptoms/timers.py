"""The check-in timers, typed: a plan falling due and a session running out.

Stored as they always were (timers pending across a deploy still fire), in the timer namespace
`checkins`: `plan:<patient>:<kind>` with {patient, kind, rev, at} (rev: the plan revision the
timer was set for; at: the occurrence, ISO), and `expire:<session>` with {patient, session}."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.timers import Timer, Timers

if TYPE_CHECKING:
    pass

log = logging.getLogger("mtm.symptoms")

NAMESPACE = "checkins"


def plan_key(patient: str, kind: str) -> str:
    """The one timer of a patient's plan of one kind."""
    return f"plan:{patient}:{kind}"


@dataclass(frozen=True)
class PlanDue:
    """An occurrence of a plan: open its session (unless the plan changed since)."""

    patient: str
    kind: str
    rev: str | None
    at: datetime

    @property
    def key(self) -> str:
        return plan_key(self.patient, self.kind)

    def payload(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "kind": self.kind,
            "rev": self.rev,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class SessionExpiry:
    """A session's time is up: close it, stored in progress."""

    patient: str
    session: str

    @property
    def key(self) -> str:
        return f"expire:{self.session}"

    def payload(self) -> dict[str, Any]:
        return {"patient": self.patient, "session": self.session}


CheckinTimer = PlanDue | SessionExpiry


async def schedule(timers: Timers, timer: CheckinTimer, due: datetime) -> None:
    """Set (or move) the timer to fire at `due`."""
    await timers.schedule(timer.key, due, timer.payload())


def parse(timer: Timer) -> CheckinTimer | None:
    """The kind of a stored timer; None for a shape this service never wrote."""
    p = timer.payload
    try:
        if timer.key.startswith("expire:"):
            return SessionExpiry(patient=str(p["patient"]), session=str(p["session"]))
        if timer.key.startswith("plan:"):
            rev = p.get("rev")
            return PlanDue(
                patient=str(p["patient"]),
                kind=str(p["kind"]),
                rev=None if rev is None else str(rev),
                at=datetime.fromisoformat(str(p["at"])),
            )
    except (KeyError, TypeError, ValueError):
        pass
    return None
