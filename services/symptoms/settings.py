"""Symptoms settings: MTM_SYMPTOMS__* (the rule thresholds, docs/clinical-rules.md) on the
shared base."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.symptoms.rules.thresholds import Thresholds
from shared.events.base import LocalTime
from shared.events.symptoms import CheckInKind
from shared.settings import BaseServiceSettings


class CheckInDefault(BaseModel):
    """A check-in plan every patient of a site gets at enrolment (a CheckInPlanSet wins)."""

    kind: CheckInKind
    every_days: int = Field(default=7, ge=1, le=90)
    weekday: int = Field(default=0, ge=0, le=6, description="0 = Monday.")
    local_time: LocalTime = "10:00"


class SymptomsSection(Thresholds):
    """The rule thresholds plus the service's own knobs."""

    claim_lease_seconds: int = Field(
        default=30,
        ge=5,
        le=600,
        description="A crashed handler's claim is taken over after this; redelivery waits for it.",
    )
    crisis_text_valid_hours: int = Field(
        default=24,
        ge=1,
        le=168,
        description="The crisis text expires this long after the answer that triggered it.",
    )
    checkin_session_hours: int = Field(
        default=24,
        ge=1,
        le=72,
        description="An SMS check-in ends this long after it opened; its answers are stored in "
        "progress, never scored.",
    )
    checkin_busy_retry_minutes: int = Field(
        default=30,
        ge=1,
        le=720,
        description="A check-in due while another one is open is tried again this much later.",
    )
    checkin_side_effect_weeks: int = Field(
        default=8,
        ge=0,
        le=26,
        description="Side-effect check-ins this long after a start or a dose change (0: none).",
    )
    checkin_side_effect_every_days: int = Field(
        default=7, ge=1, le=28, description="Cadence of those side-effect check-ins."
    )
    checkin_local_time: LocalTime = Field(
        default="10:00", description="Local time of the side-effect check-ins after a change."
    )
    checkin_site_defaults: dict[str, list[CheckInDefault]] = Field(
        default_factory=dict,
        description='Plans per site at enrolment ("*": every site), e.g. '
        '{"austin": [{"kind": "PHQ-2", "weekday": 0, "local_time": "10:00"}]}.',
    )

    def thresholds(self) -> Thresholds:
        """The plain thresholds the pure rules read."""
        return Thresholds(**self.model_dump(include=set(Thresholds.model_fields)))


class SymptomsSettings(BaseServiceSettings):
    """Everything the symptoms process reads from its environment."""

    symptoms: SymptomsSection = Field(default_factory=SymptomsSection)
