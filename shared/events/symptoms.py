"""Events on mtm.symptoms: questionnaires, check-in plans, side effects, weight."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.events.base import Day, Event, Id, LocalTime, Model, UtcDatetime, Zone, phi

Instrument = Literal["PHQ-9", "PHQ-2", "GAD-7", "PCL-5", "C-SSRS"]
CheckInKind = Literal["PHQ-2", "PHQ-9", "GAD-7", "side_effects"]
AnsweredInstrument = Literal["PHQ-9", "PHQ-2", "GAD-7", "PCL-5", "C-SSRS", "side_effects"]
"""An instrument, or the side-effect check of an SMS check-in (never scored as a questionnaire)."""
ChecklistOption = Annotated[int, Field(ge=1, le=9)]


class ItemAnswer(Model):
    """One answer: item number as printed ("1".."20", "6b") and its ordinal (yes = 1, no = 0)."""

    item: str = Field(pattern=r"^\d{1,2}b?$")
    value: int = Field(ge=0, le=4)


class QuestionnaireCompleted(Event):
    """A questionnaire response, from the clinic, the app or an SMS session."""

    event_type: Literal["QuestionnaireCompleted"] = "QuestionnaireCompleted"
    patient_id: Id
    response_id: Id = Field(description="QuestionnaireResponse id; the business key.")
    instrument: Instrument
    answers: list[ItemAnswer] = Field(max_length=40)
    channel: Literal["sms", "app", "clinic"] = "clinic"
    session_id: Id | None = None
    status: Literal["completed", "in_progress"] = Field(
        default="completed", description="in_progress: an abandoned session, stored, never scored."
    )


class QuestionnaireItemAnswered(Event):
    """One SMS answer inside a check-in session."""

    event_type: Literal["QuestionnaireItemAnswered"] = "QuestionnaireItemAnswered"
    patient_id: Id
    session_id: Id
    instrument: AnsweredInstrument = Field(
        description="side_effects: item 0 is the checklist, item N the severity of option N."
    )
    item: str = Field(pattern=r"^\d{1,2}b?$")
    value: int = Field(
        ge=0,
        le=4,
        description="The ordinal; for the side-effect checklist 1 = any chosen, 0 = none.",
    )
    values: list[ChecklistOption] = Field(
        default_factory=list,
        max_length=9,
        description="Multi-select items (the side-effect checklist): the options chosen.",
    )
    message_sid: str | None = Field(default=None, max_length=64)


class CheckInPlanSet(Event):
    """When a patient is asked a check-in by SMS."""

    event_type: Literal["CheckInPlanSet"] = "CheckInPlanSet"
    patient_id: Id
    kind: CheckInKind
    every_days: int = Field(default=7, ge=1, le=90, description="Cadence in days.")
    weekday: int = Field(default=0, ge=0, le=6, description="0 = Monday.")
    local_time: LocalTime = "10:00"
    zone: Zone
    start_date: Day
    end_date: Day | None = None
    active: bool = True


class SideEffect(Model):
    """One reported symptom with its severity (0 none .. 3 severe)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$", description="Symptom code, e.g. rash_new.")
    severity: int = Field(default=2, ge=0, le=3)


class SideEffectReported(Event):
    """The patient reported side effects."""

    event_type: Literal["SideEffectReported"] = "SideEffectReported"
    patient_id: Id
    report_id: Id
    effects: list[SideEffect] = Field(default_factory=list, max_length=30)
    free_text: str | None = phi(
        "What the patient wrote, if anything.", default=None, max_length=1600
    )
    stopped_medication: bool = Field(default=False, description="Patient says they stopped a drug.")
    plan_id: Id | None = None
    channel: Literal["sms", "app", "clinic"] = "app"


class WeightRecorded(Event):
    """A body weight measurement."""

    event_type: Literal["WeightRecorded"] = "WeightRecorded"
    patient_id: Id
    weight_kg: float = Field(gt=0, lt=500)
    measured_at: UtcDatetime
