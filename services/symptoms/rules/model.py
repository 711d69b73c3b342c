"""Plain data the rules read and return: patient context in, findings out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from hashlib import sha256
from typing import Literal
from zoneinfo import ZoneInfo

from shared.events import Evidence, Severity

SEVERITIES: tuple[Severity, ...] = ("P0", "P1", "P2", "P3")
DoseStatus = Literal["taken", "skipped", "missed"]


def rank(severity: Severity) -> int:
    """0 for P0 (most urgent) .. 3 for P3."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Drug:
    """A medication plan as the rules see it (active, or stopped recently)."""

    plan_id: str
    drug: str
    drug_class: str
    start: date
    zone: str = "America/Chicago"
    dose_changed: date | None = None
    stopped: date | None = None
    prn: bool = False

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.zone)).date()

    def days_on(self, now: datetime) -> int:
        """Whole days since the plan started (0 on the first day)."""
        return (self.local_date(now) - self.start).days

    def days_since_change(self, now: datetime) -> int | None:
        return (
            None if self.dose_changed is None else (self.local_date(now) - self.dose_changed).days
        )

    def days_since_stop(self, now: datetime) -> int | None:
        return None if self.stopped is None else (self.local_date(now) - self.stopped).days


@dataclass(frozen=True)
class DoseRecord:
    """One dose event of a plan: taken, skipped or missed, at its instant."""

    dose_id: str
    plan_id: str
    at: datetime
    status: DoseStatus


@dataclass(frozen=True)
class ScoreRecord:
    """A complete instrument total, kept for change rules."""

    ref: str
    instrument: str
    at: datetime
    total: int


@dataclass(frozen=True)
class RiskMarker:
    """A high-risk observation (item 9 positive, severe total, C-SSRS positive)."""

    ref: str
    at: datetime
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class AlertRecord:
    """A clinical alert raised for the patient (by this service or another)."""

    alert_id: str
    rule_id: str
    severity: Severity
    at: datetime


@dataclass(frozen=True)
class Trigger:
    """A symptom-side fact the cross-stream rule pairs with missed doses."""

    scope: str
    at: datetime
    kind: Literal["worsening", "activation", "discontinuation", "anxiety_benzo"]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class PatientContext:
    """Everything the rules may know about a patient, as of `now`."""

    patient_id: str
    now: datetime
    date_of_birth: date | None = None
    drugs: tuple[Drug, ...] = ()
    doses: tuple[DoseRecord, ...] = ()
    scores: tuple[ScoreRecord, ...] = ()
    risks: tuple[RiskMarker, ...] = ()
    alerts: tuple[AlertRecord, ...] = ()
    triggers: tuple[Trigger, ...] = ()

    @property
    def age(self) -> int | None:
        """Age in whole years at `now`, or None when the date of birth is unknown."""
        if self.date_of_birth is None:
            return None
        today, dob = self.now.date(), self.date_of_birth
        return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))

    def since(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def history(self, instrument: str, *, exclude: str | None = None) -> list[ScoreRecord]:
        """Earlier totals of an instrument, oldest first, without the response being evaluated."""
        rows = [s for s in self.scores if s.instrument == instrument and s.ref != exclude]
        return sorted(rows, key=lambda s: s.at)


@dataclass(frozen=True)
class Report:
    """A side-effect report: symptom code -> severity (1..3), plus what else the patient said."""

    ref: str
    effects: Mapping[str, int]
    free_text: str | None = None
    stopped_medication: bool = False
    plan_id: str | None = None
    words: Mapping[str, str] = field(default_factory=dict)
    """Code -> the patient's or the clinic's own words for it, kept as evidence."""

    def cite(self, code: str) -> str:
        """'sore_throat (severity 2, reported as "Sore Throat")' for an alert's evidence."""
        said = self.words.get(code)
        quoted = f', reported as "{said[:60]}"' if said else ""
        return f"{code} (severity {self.effects[code]}{quoted})"


@dataclass(frozen=True)
class Finding:
    """A rule that fired: what the alert will say, and whether the patient gets the crisis text."""

    rule_id: str
    severity: Severity
    scope: str
    evidence: tuple[Evidence, ...]
    suggested_action: str
    crisis_text: bool = False
    cites: frozenset[str] = field(default=frozenset())

    def dedup_key(self, patient_id: str) -> str:
        """Patient + rule + the response, session or report it came from + severity."""
        # The severity is part of the key so a later, more urgent finding for the same session is
        # a new alert, never collapsed into an open, less urgent one (ESC-DEDUPE).
        key = f"{patient_id}:{self.rule_id}:{self.scope}:{self.severity}"
        if len(key) <= 200:
            return key
        patient, scope = (sha256(v.encode()).hexdigest()[:32] for v in (patient_id, self.scope))
        return f"{patient}:{self.rule_id}:{scope}:{self.severity}"


def evidence(kind: str, ref: str, detail: str) -> Evidence:
    """Evidence with the reference and detail cut to the contract's limits."""
    return Evidence(kind=kind, ref=ref[:128], detail=detail[:256])  # type: ignore[arg-type]
