"""Events on mtm.symptoms: questionnaires, check-in plans, side effects, weight."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from shared.events.base import Day, Event, Id, LocalTime, Model, UtcDatetime, Zone, phi
from shared.lexicon import side_effects

Instrument = Literal["PHQ-9", "PHQ-2", "GAD-7", "PCL-5", "C-SSRS"]
CheckInKind = Literal["PHQ-2", "PHQ-9", "GAD-7", "side_effects"]
AnsweredInstrument = Literal["PHQ-9", "PHQ-2", "GAD-7", "PCL-5", "C-SSRS", "side_effects"]
"""An instrument, or the side-effect check of an SMS check-in (never scored as a questionnaire)."""
ChecklistOption = Annotated[int, Field(ge=1, le=9)]


class ItemAnswer(Model):
    """One answer: item number as printed ("1".."20", "6b") and its ordinal (yes = 1, no = 0);
    `value` null (or the item left out) means not answered."""

    item: str = Field(pattern=r"^\d{1,2}b?$")
    value: int | None = Field(
        default=None,
        ge=0,
        le=4,
        description="The ordinal; null: not answered (as EHRs and forms encode a skipped item).",
    )


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
    """One reported symptom with its severity (0 none .. 3 severe).

    `code` is a code of the side-effect vocabulary (docs/side-effect-vocabulary.md) or the words
    for it, English or Spanish, in any case and spacing ("Sore Throat", "dolor de garganta"):
    words that name one symptom become its code, the words kept in `reported_as`. Words that
    name several symptoms, or none, stay as written: the symptoms service reads each symptom
    named, and reviews what names none (SE-OTHER, with the words) rather than drop it."""

    code: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f]+$",
        description='A vocabulary code (rash_new) or the words for a symptom ("sore throat").',
    )
    severity: int = Field(default=2, ge=0, le=3)
    reported_as: str | None = phi(
        "The words the report used, when `code` was mapped from them.", default=None, max_length=100
    )

    @model_validator(mode="before")
    @classmethod
    def _words_to_code(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("code"), str):
            return data
        text = data["code"].strip()
        if side_effects.known(text):
            return {**data, "code": text}
        code = side_effects.code_for(text)
        if code is None:
            return {**data, "code": text}
        return {**data, "code": code, "reported_as": data.get("reported_as") or text}


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
