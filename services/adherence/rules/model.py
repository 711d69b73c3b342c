"""The plain data the adherence rules work with: plans, scheduled doses, fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

DoseStatus = Literal[
    "pending", "taken_on_time", "taken_late", "skipped", "missed", "unknown", "cancelled"
]
TAKEN: frozenset[str] = frozenset({"taken_on_time", "taken_late"})
NOT_TAKEN: frozenset[str] = frozenset({"skipped", "missed", "unknown"})
"""Closed without a dose: alert rules count all three (unknown counts like a miss)."""
CLOSED: frozenset[str] = TAKEN | NOT_TAKEN
STEPS = ("reminder", "followup", "caregiver", "cutoff")
"""The durable timer steps of one dose, in the order they normally fire."""


@dataclass(frozen=True)
class Segment:
    """Dose times in force from a local date on (a plan change appends one)."""

    start: date
    times: tuple[str, ...]
    zone: str


@dataclass(frozen=True)
class Plan:
    """A medication plan as adherence tracks it."""

    plan_id: str
    patient_id: str
    drug: str
    drug_class: str
    segments: tuple[Segment, ...]
    start_date: date
    end_date: date | None = None
    prn: bool = False
    site_id: str | None = None
    active: bool = True
    stopped_reason: str | None = None
    stopped_at: datetime | None = None
    first_dose_at: datetime | None = None
    """The first dose ever scheduled: the anchor of gap rules until a dose is taken."""
    started_event: str = ""

    def segment_on(self, day: date) -> Segment | None:
        """The dose times in force on a local date (the latest segment started by then)."""
        current = None
        for segment in self.segments:
            if segment.start <= day:
                current = segment
        return current

    def schedules(self, day: date) -> bool:
        """Whether the plan has scheduled doses on a local date."""
        if self.prn or not self.active or day < self.start_date:
            return False
        return self.end_date is None or day <= self.end_date

    def in_force(self, day: date) -> bool:
        """Active, scheduled (not PRN) and not past its end date on a local date."""
        return self.active and not self.prn and (self.end_date is None or day <= self.end_date)

    @property
    def zone(self) -> str:
        return self.segments[-1].zone


@dataclass(frozen=True)
class Dose:
    """One scheduled dose and what became of it."""

    dose_id: str
    plan_id: str
    patient_id: str
    local_date: date
    local_time: str
    scheduled_at: datetime
    window_start: datetime
    window_end: datetime
    followup_at: datetime | None
    caregiver_at: datetime
    cutoff_at: datetime
    status: DoseStatus = "pending"
    reported_at: datetime | None = None
    reminded_at: datetime | None = None
    followed_up_at: datetime | None = None
    armed: bool = False
    """Its timers are scheduled (a dose written but not armed is armed again on the next pass)."""

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def step_due(self, step: str) -> datetime | None:
        """When a timer step of this dose fires (None: this dose has no such step)."""
        return {
            "reminder": self.scheduled_at,
            "followup": self.followup_at,
            "caregiver": self.caregiver_at,
            "cutoff": self.cutoff_at,
        }[step]


@dataclass(frozen=True)
class Fill:
    """A pharmacy fill (MedicationDispensed)."""

    fill_id: str
    drug: str
    drug_class: str
    fill_date: date
    days_supply: int
    plan_id: str | None = None


@dataclass(frozen=True)
class Patient:
    """What adherence knows of a patient: engagement with dose prompts, caregivers."""

    patient_id: str
    site_id: str | None = None
    discharged: bool = False
    replies: int = 0
    last_reply_at: datetime | None = None
    last_prompt_at: datetime | None = None
    caregivers: tuple[str, ...] = field(default_factory=tuple)
