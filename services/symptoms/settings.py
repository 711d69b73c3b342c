"""Symptoms settings: MTM_SYMPTOMS__* (the rule thresholds, domain defaults) on the shared base."""

from __future__ import annotations

from pydantic import Field

from services.symptoms.rules.thresholds import Thresholds
from shared.settings import BaseServiceSettings


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

    def thresholds(self) -> Thresholds:
        """The plain thresholds the pure rules read."""
        return Thresholds(**self.model_dump(include=set(Thresholds.model_fields)))


class SymptomsSettings(BaseServiceSettings):
    """Everything the symptoms process reads from its environment."""

    symptoms: SymptomsSection = Field(default_factory=SymptomsSection)
