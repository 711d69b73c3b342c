"""Adherence settings: MTM_ADHERENCE__* on top of the shared service settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from services.adherence.context import Config
from services.adherence.rules.thresholds import Thresholds
from services.adherence.rules.windows import WindowPolicy
from shared.events.base import LocalTime
from shared.settings import BaseServiceSettings


class ThresholdSettings(BaseModel):
    """Alert thresholds (ADH-* defaults; the medical director signs each one off)."""

    consec_miss_doses: int = Field(default=3, ge=2, description="ADH-CONSEC-MISS run length.")
    ssri_disc_hours: dict[str, float] = Field(
        default_factory=lambda: dict(Thresholds().ssri_disc_hours),
        description="ADH-SSRI-DISC: hours without a dose, per generic drug name; a map given "
        "(or one drug, __SSRI_DISC_HOURS__<DRUG>) is laid over these defaults.",
    )
    ssri_disc_min_missed: int = Field(default=2, ge=1, description="Doses missed within it.")
    bzd_missed_days: int = Field(default=2, ge=1, description="ADH-BZD-STOP missed days.")
    bzd_min_regular_days: int = Field(default=14, ge=0, description="Regular use before it.")
    lithium_missed_days: int = Field(default=2, ge=1, description="ADH-LITHIUM missed days.")
    clozapine_gap_hours: float = Field(default=48, gt=0, description="ADH-CLOZ-48H.")
    lamotrigine_gap_days: float = Field(default=5, gt=0, description="ADH-LTG-GAP.")
    antipsych_adherence: float = Field(default=0.8, gt=0, le=1, description="30-day dose ratio.")
    antipsych_pdc: float = Field(default=0.8, gt=0, le=1, description="ADH-ANTIPSYCH PDC.")
    antipsych_min_doses: int = Field(default=7, ge=1, description="Doses before the ratio counts.")
    newstart_window_days: int = Field(default=30, ge=1, description="ADH-NEWSTART: a new start.")
    newstart_no_taken_days: int = Field(default=7, ge=1, description="Days with no dose taken.")
    newstart_second_fill_day: int = Field(default=35, ge=1, description="Second fill due by.")
    data_gap_hours: float = Field(default=72, gt=0, description="ADH-DATA-GAP silence.")
    data_gap_min_replies: int = Field(default=3, ge=1, description="Replies that mean engaged.")

    @field_validator("ssri_disc_hours", mode="before")
    @classmethod
    def _over_the_defaults(cls, value: Any) -> Any:
        # The environment names the drugs it changes (MTM_..._SSRI_DISC_HOURS__PAROXETINE=36 is
        # {"paroxetine": 36}); taken alone it would drop every other drug's threshold, and a drug
        # without one raises no ADH-SSRI-DISC alert at all.
        if isinstance(value, dict):
            return {**Thresholds().ssri_disc_hours, **value}
        return value

    def to_rules(self) -> Thresholds:
        return Thresholds(**self.model_dump())


class SimClockSettings(BaseModel):
    """Scaled time for tests and demos: service time runs `scale` times as fast as real time."""

    scale: float = Field(default=1.0, ge=1, le=1_000_000, description="Service s per real s.")
    start: datetime | None = Field(default=None, description="Service time at `anchor` (UTC).")
    anchor: datetime | None = Field(
        default=None,
        description="Real instant at which service time was `start` (default: when the process "
        "starts, so START alone sets the service clock at start-up).",
    )

    @property
    def active(self) -> bool:
        return self.scale != 1.0 or self.start is not None


class AdherenceSection(BaseModel):
    """Schedules, windows, refills, thresholds and timer tuning of the adherence service."""

    horizon_days: int = Field(default=2, ge=1, le=14, description="Days of doses kept ahead.")
    horizon_refresh_hours: float = Field(default=12, gt=0, description="Horizon extended every.")
    window_daily_minutes: float = Field(default=120, gt=0, description="Once daily: +- on time.")
    window_frequent_minutes: float = Field(default=60, gt=0, description="BID..q4h: +- on time.")
    window_very_frequent_fraction: float = Field(default=0.25, gt=0, lt=0.5)
    followup_daily_minutes: float = Field(default=60, gt=0, description="Once daily follow-up.")
    followup_frequent_minutes: float = Field(default=30, gt=0, description="BID+ follow-up.")
    cutoff_daily_hours: float = Field(default=12, gt=0, description="Once daily missed cut-off.")
    cutoff_daily_before_next_hours: float = Field(default=4, ge=0, description="... or next - h.")
    caregiver_delay_minutes: float = Field(
        default=60, ge=0, description="Caregiver notice this long after the last reminder."
    )
    refill_lead_days: int = Field(default=5, ge=0, description="Refill reminder before run-out.")
    refill_grace_days: int = Field(default=7, ge=0, description="No-refill review after run-out.")
    refill_reminder_time: LocalTime = Field(default="10:00", description="Local time it goes.")
    pdc_period_days: int = Field(default=180, ge=30, description="Rolling PDC period.")
    pdc_threshold: float = Field(default=0.8, gt=0, le=1, description="Adherent at or above.")
    history_days: int = Field(default=40, ge=31, description="Dose history the rules read.")
    retention_days: int = Field(default=45, ge=31, description="Dose records kept after cut-off.")
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    timer_lease_seconds: float = Field(default=30, gt=0, description="Re-fire after a crash (s).")
    timer_poll_seconds: float = Field(default=0.25, gt=0, description="Real seconds.")
    timer_max_attempts: int = Field(default=10, ge=1)
    timer_buckets: int = Field(
        default=8192,
        ge=1,
        description="Buckets of the dose timers, about pending timers / 100 (shared/timers.py); "
        "stored on first use. 8192 suits some 800,000: 50,000 patients, 4 steps a dose, 3 days.",
    )
    timer_retry_seconds: float = Field(default=5, ge=0, description="Real seconds, x attempt.")
    claim_lease_seconds: float = Field(default=10, gt=0, description="Publish claim lease (s).")
    sim: SimClockSettings = Field(default_factory=SimClockSettings)

    def to_config(self) -> Config:
        """The plain-data configuration the service works with."""
        windows = WindowPolicy(
            window_daily=timedelta(minutes=self.window_daily_minutes),
            window_frequent=timedelta(minutes=self.window_frequent_minutes),
            very_frequent_fraction=self.window_very_frequent_fraction,
            followup_daily=timedelta(minutes=self.followup_daily_minutes),
            followup_frequent=timedelta(minutes=self.followup_frequent_minutes),
            cutoff_daily=timedelta(hours=self.cutoff_daily_hours),
            cutoff_daily_before_next=timedelta(hours=self.cutoff_daily_before_next_hours),
            caregiver_delay=timedelta(minutes=self.caregiver_delay_minutes),
        )
        return Config(
            windows=windows,
            thresholds=self.thresholds.to_rules(),
            horizon_days=self.horizon_days,
            horizon_refresh=timedelta(hours=self.horizon_refresh_hours),
            refill_lead_days=self.refill_lead_days,
            refill_grace_days=self.refill_grace_days,
            refill_time=self.refill_reminder_time,
            pdc_period_days=self.pdc_period_days,
            pdc_threshold=self.pdc_threshold,
            history_days=self.history_days,
            transient_retry=timedelta(seconds=self.timer_retry_seconds * self.sim.scale),
        )


class AdherenceSettings(BaseServiceSettings):
    """Everything the adherence process reads from its environment."""

    adherence: AdherenceSection = Field(default_factory=AdherenceSection)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.adherence.sim.active:
            problems.append("MTM_ADHERENCE__SIM__* (scaled time)")
        return problems
