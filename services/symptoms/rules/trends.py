"""Score change against the previous total of the same instrument (the *-WORSEN rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from services.symptoms.rules.instruments import INSTRUMENTS
from services.symptoms.rules.model import ScoreRecord, Severity, evidence
from shared.events import Evidence


def previous(
    history: Sequence[ScoreRecord], *, at: datetime, window_days: int
) -> ScoreRecord | None:
    """The latest earlier total, if it is recent enough to compare with."""
    earlier = [s for s in history if s.at <= at]
    if not earlier:
        return None
    last = max(earlier, key=lambda s: s.at)
    return last if at - last.at <= timedelta(days=window_days) else None


def total_evidence(instrument: str, ref: str, total: int, band: str | None = None) -> Evidence:
    code = INSTRUMENTS[instrument].total_loinc
    label = f"{instrument} total (LOINC {code})" if code else f"{instrument} total"
    return evidence("questionnaire", ref, f"{label} = {total}" + (f" ({band})" if band else ""))


def change(
    instrument: str,
    *,
    ref: str,
    total: int,
    at: datetime,
    history: Sequence[ScoreRecord],
    window_days: int,
    tiers: Sequence[tuple[int, Severity]],
) -> tuple[Severity, tuple[Evidence, ...]] | None:
    """The severity of the largest tier (points, severity) the increase reaches, with evidence."""
    prior = previous(history, at=at, window_days=window_days)
    if prior is None:
        return None
    delta = total - prior.total
    for points, severity in sorted(tiers, key=lambda tier: -tier[0]):
        if delta >= points:
            days = (at - prior.at).days
            return severity, (
                total_evidence(instrument, ref, total),
                total_evidence(instrument, prior.ref, prior.total),
                evidence("questionnaire", ref, f"{instrument} +{delta} points in {days} d"),
            )
    return None
