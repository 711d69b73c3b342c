"""Dose-level adherence over a rolling window: taken / scheduled, closed doses only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.adherence.rules.model import CLOSED, Dose


@dataclass(frozen=True)
class DoseAdherence:
    """Counts of closed doses scheduled in the window and the share taken (None: no doses)."""

    days: int
    scheduled: int = 0
    on_time: int = 0
    late: int = 0
    skipped: int = 0
    missed: int = 0
    unknown: int = 0

    @property
    def taken(self) -> int:
        return self.on_time + self.late

    @property
    def ratio(self) -> float | None:
        return self.taken / self.scheduled if self.scheduled else None


def dose_adherence(doses: Iterable[Dose], now: datetime, days: int) -> DoseAdherence:
    """Adherence over the `days` before `now`; open and cancelled doses are not counted, an
    unknown dose counts as not taken (never as taken) and is also reported on its own."""
    since = now - timedelta(days=days)
    closed = [d for d in doses if since < d.scheduled_at <= now and d.status in CLOSED]
    count = {s: sum(1 for d in closed if d.status == s) for s in CLOSED}
    return DoseAdherence(
        days=days,
        scheduled=len(closed),
        on_time=count["taken_on_time"],
        late=count["taken_late"],
        skipped=count["skipped"],
        missed=count["missed"],
        unknown=count["unknown"],
    )
