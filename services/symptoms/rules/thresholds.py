"""Every clinical threshold the rules use, with its default (docs/clinical-rules.md); all
configurable."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Thresholds(BaseModel):
    """Rule thresholds; MTM_SYMPTOMS__<FIELD> overrides each one."""

    model_config = ConfigDict(frozen=True)

    # PHQ-2 / PHQ-9 (SYM-PHQ2-GATE, SYM-PHQ9-*)
    phq2_gate_min: int = Field(
        default=3, ge=2, le=6, description="PHQ-2 total that gates the PHQ-9."
    )
    phq9_severe_min: int = Field(default=20, ge=10, le=27, description="SYM-PHQ9-SEVERE total.")
    phq9_worsen_points: int = Field(default=5, ge=1, le=27, description="SYM-PHQ9-WORSEN increase.")
    compare_window_days: int = Field(
        default=56, ge=7, le=365, description="The previous score counts if this recent (8 weeks)."
    )
    phq9_nonresponse_after_days: int = Field(
        default=56, ge=28, le=120, description="Days on an antidepressant before non-response."
    )
    phq9_response_reduction: float = Field(
        default=0.5, gt=0, lt=1, description="Response = at least this reduction from baseline."
    )
    phq9_baseline_min: int = Field(default=10, ge=0, le=27, description="An elevated index score.")
    phq9_baseline_grace_days: int = Field(
        default=14, ge=0, le=60, description="A baseline may be this late after the start."
    )
    repeat_review_days: int = Field(
        default=28, ge=1, le=365, description="A P3 review flag is not repeated within this."
    )
    # GAD-7 (SYM-GAD7-*)
    gad7_severe_min: int = Field(
        default=15, ge=10, le=21, description="SYM-GAD7-SEVERE total (severe band)."
    )
    gad7_severe_severity: Literal["P2", "P3"] = Field(
        default="P3", description="Priority of SYM-GAD7-SEVERE (P3 or P2 per clinic)."
    )
    gad7_worsen_points: int = Field(default=5, ge=1, le=21, description="SYM-GAD7-WORSEN increase.")
    # PCL-5 (SYM-PCL5-*): cut-point 31-33 verified; population-specific values exist.
    pcl5_cutoff: int = Field(default=33, ge=20, le=60, description="Provisional PTSD cut-point.")
    pcl5_reliable_change: int = Field(
        default=5, ge=1, le=80, description="PCL-5 reliable change (P3)."
    )
    pcl5_meaningful_change: int = Field(
        default=10, ge=1, le=80, description="PCL-5 clinically meaningful change (P2)."
    )
    # C-SSRS (SYM-CSSRS-TRIAGE): ideation questions cover the past month.
    cssrs_recent_days: int = Field(
        default=30,
        ge=1,
        le=90,
        description="A C-SSRS high-risk answer this recent makes item 9 P0.",
    )
    # Side effects (SE-*)
    activation_age_under: int = Field(default=25, ge=18, le=30, description="Boxed-warning ages.")
    activation_start_days: int = Field(
        default=60, ge=0, le=180, description="Activation window after an antidepressant start."
    )
    activation_dose_change_days: int = Field(
        default=30, ge=0, le=180, description="Activation window after a dose change."
    )
    clozapine_myocarditis_days: int = Field(
        default=60, ge=0, le=180, description="Chest pain, palpitations, fever: P0 this early."
    )
    elderly_age: int = Field(default=65, ge=50, le=90, description="Hyponatraemia row.")
    stopped_recent_days: int = Field(
        default=14,
        ge=1,
        le=60,
        description="A stopped plan still counts as drug context this long.",
    )
    discontinuation_window_days: int = Field(
        default=7, ge=1, le=30, description="Missed doses this recent count as stopping."
    )
    discontinuation_missed_min: int = Field(
        default=2, ge=1, le=28, description="Missed doses that count as stopping (>= 48 h daily)."
    )
    # Cross-stream and no-show (SYM-ADH-CROSS, APPT-NOSHOW-RISK)
    cross_window_days: int = Field(default=7, ge=1, le=30, description="Missed doses this recent.")
    cross_missed_min: int = Field(default=2, ge=1, le=28, description="Missed doses that count.")
    cross_severity: Literal["P1", "P2", "P3"] = Field(
        default="P2", description="Priority of SYM-ADH-CROSS."
    )
    noshow_lookback_days: int = Field(
        default=30, ge=1, le=180, description="How recent a flag makes a no-show a risk."
    )
    noshow_on_p2: bool = Field(
        default=True,
        description="A no-show after a recent P2 alert raises P2 (APPT-NOSHOW-RISK 'P2/P1').",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.pcl5_meaningful_change < self.pcl5_reliable_change:
            raise ValueError("pcl5_meaningful_change must be >= pcl5_reliable_change")
        return self
