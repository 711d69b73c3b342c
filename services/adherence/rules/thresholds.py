"""Alert thresholds (ADH-* defaults); the drug classes come from shared/lexicon/drugs.py."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """The ADH-* defaults; every one is a setting the medical director signs off."""

    consec_miss_doses: int = 3
    ssri_disc_hours: dict[str, float] = field(
        default_factory=lambda: {
            "paroxetine": 48,
            "venlafaxine": 48,
            "desvenlafaxine": 48,
            "duloxetine": 48,
            "fluoxetine": 168,
        }
    )
    ssri_disc_min_missed: int = 2
    bzd_missed_days: int = 2
    bzd_min_regular_days: int = 14
    lithium_missed_days: int = 2
    clozapine_gap_hours: float = 48
    lamotrigine_gap_days: float = 5
    antipsych_adherence: float = 0.8
    antipsych_pdc: float = 0.8
    antipsych_min_doses: int = 7
    newstart_window_days: int = 30
    newstart_no_taken_days: int = 7
    newstart_second_fill_day: int = 35
    data_gap_hours: float = 72
    data_gap_min_replies: int = 3
