"""The plain data the reminder rules work with: policy, appointments, profiles, planned steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

Modality = Literal["in_person", "telehealth"]
Status = Literal["booked", "cancelled", "completed", "no_show"]
ChangeRequest = Literal["reschedule", "cancel"]
REBOOK = "rebook"
"""The timer step of the post-no-show rebooking text."""


@dataclass(frozen=True)
class Offset:
    """One reminder of a cascade: `before` the start, on the wall clock or as a duration."""

    name: str
    before: timedelta
    clock: Literal["wall", "absolute"]
    modality: Modality | None = None
    reask: bool = False


@dataclass(frozen=True)
class Site:
    """A clinic site as the rules see it."""

    zone: str
    cascade: tuple[Offset, ...]


@dataclass(frozen=True)
class Policy:
    """Sites, the default cascade and the no-show follow-up (from settings)."""

    sites: dict[str, Site]
    default_cascade: tuple[Offset, ...]
    default_zone: str = "America/Chicago"
    rebook_after: timedelta = timedelta(hours=1)
    rebook_valid_for: timedelta = timedelta(hours=72)

    def site(self, site_id: str) -> Site:
        """The site's policy; an unknown site gets the default zone and cascade."""
        return self.sites.get(site_id) or Site(self.default_zone, self.default_cascade)


@dataclass(frozen=True)
class Profile:
    """What reminders know of a patient (from mtm.patients); empty until the patient arrives."""

    zone: str | None = None
    site_id: str | None = None
    discharged: bool = False


@dataclass(frozen=True)
class Appointment:
    """The state of one appointment as reminders track it."""

    appointment_id: str
    patient_id: str
    site_id: str
    start: datetime
    modality: Modality = "in_person"
    join_url: str | None = None
    status: Status = "booked"
    confirmed: bool = False
    change_requested: ChangeRequest | None = None
    correlation_id: str | None = None
    revision: int = 0
    """Bumped whenever the slot changes, so texts about a new slot never dedupe against old ones."""


@dataclass(frozen=True)
class PlannedStep:
    """A reminder of the cascade placed on the time line."""

    name: str
    due: datetime
    reask: bool = False


@dataclass(frozen=True)
class TimerActions:
    """What to do with an appointment's timers."""

    schedule: list[PlannedStep] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)
