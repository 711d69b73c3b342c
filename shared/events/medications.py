"""Events on mtm.medications: plans, dose events, pharmacy fills."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Day, Event, Id, LocalTime, UtcDatetime, Zone, phi

DrugClass = Literal[
    "ssri",
    "snri",
    "tca",
    "maoi",
    "bupropion",
    "mirtazapine",
    "trazodone",
    "benzodiazepine",
    "antipsychotic",
    "lithium",
    "anticonvulsant",
    "stimulant",
    "other",
]


class MedicationPlanStarted(Event):
    """A scheduled (or PRN) medication plan started."""

    event_type: Literal["MedicationPlanStarted"] = "MedicationPlanStarted"
    patient_id: Id
    plan_id: Id
    drug: str = phi("Generic drug name, lower case (e.g. lithium).", min_length=1, max_length=64)
    drug_class: DrugClass = Field(description="Pharmacological class used by the rules.")
    rxnorm: str | None = Field(default=None, max_length=16, description="RxNorm code, if known.")
    dose_times: list[LocalTime] = Field(
        default_factory=list, max_length=12, description="Local wall-clock dose times, e.g. 08:00."
    )
    zone: Zone = Field(description="IANA zone the dose times are in.")
    start_date: Day = Field(description="First day of the plan (local).")
    end_date: Day | None = Field(default=None, description="Last day of the plan (local), if any.")
    prn: bool = Field(default=False, description="As-needed: never reminded, never counted.")


class MedicationPlanChanged(Event):
    """A plan's dose times, zone, end date or dose changed."""

    event_type: Literal["MedicationPlanChanged"] = "MedicationPlanChanged"
    patient_id: Id
    plan_id: Id
    dose_times: list[LocalTime] | None = Field(default=None, max_length=12)
    zone: Zone | None = None
    end_date: Day | None = None
    dose_changed: bool = Field(default=False, description="The dose itself went up or down.")
    effective_date: Day | None = Field(default=None, description="First local day it applies.")


class MedicationPlanStopped(Event):
    """A plan ended; no further doses."""

    event_type: Literal["MedicationPlanStopped"] = "MedicationPlanStopped"
    patient_id: Id
    plan_id: Id
    reason: Literal["completed", "prescriber", "side_effects", "patient", "other"] = "prescriber"


DoseSource = Literal["sms", "app", "staff"]


class DoseTaken(Event):
    """The patient reported taking a dose."""

    event_type: Literal["DoseTaken"] = "DoseTaken"
    patient_id: Id
    plan_id: Id
    dose_id: Id = Field(description="Stable dose id: plan, local date, local time.")
    taken_at: UtcDatetime = Field(description="When the patient reported it.")
    channel: DoseSource = "sms"
    message_sid: str | None = Field(default=None, max_length=64)


class DoseSkipped(Event):
    """The patient reported not taking a dose."""

    event_type: Literal["DoseSkipped"] = "DoseSkipped"
    patient_id: Id
    plan_id: Id
    dose_id: Id
    reported_at: UtcDatetime
    channel: DoseSource = "sms"
    message_sid: str | None = Field(default=None, max_length=64)


class DoseMissed(Event):
    """A dose reached its missed cut-off without a report (published by adherence)."""

    event_type: Literal["DoseMissed"] = "DoseMissed"
    patient_id: Id
    plan_id: Id
    dose_id: Id
    scheduled_at: UtcDatetime
    reason: Literal["no_reply", "skipped"] = "no_reply"
    drug_class: DrugClass | None = None


class MedicationDispensed(Event):
    """A pharmacy fill."""

    event_type: Literal["MedicationDispensed"] = "MedicationDispensed"
    patient_id: Id
    plan_id: Id | None = None
    drug: str = phi("Generic drug name, lower case.", min_length=1, max_length=64)
    drug_class: DrugClass
    fill_date: Day
    days_supply: int = Field(ge=1, le=365)
    quantity: float | None = Field(default=None, ge=0)
