"""The people and places of the demo: fake data, with names that appear only in its own output.

Names never travel in events that do not carry them: patients are ids to every service, and a
clinician's display name goes only where the contracts put it (ClinicianRegistered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from shared.events import DrugClass, Language, Modality, Program

NAMESPACE = uuid5(NAMESPACE_URL, "urn:mtm-notify:demo")


def demo_id(*parts: object) -> UUID:
    """A fixed id for a named thing of the script: the same on every run."""
    return uuid5(NAMESPACE, ":".join(str(p) for p in parts))


@dataclass(frozen=True)
class Site:
    """A clinic site; `number` is the site's SMS number in the dispatcher's default settings."""

    id: str
    label: str
    zone: str
    number: str

    def at(self, day: date, hhmm: str) -> datetime:
        """A local wall time at this site, as an aware datetime."""
        return datetime.combine(day, time.fromisoformat(hhmm), ZoneInfo(self.zone))


AUSTIN = Site("austin", "Austin", "America/Chicago", "+15125550100")
EL_PASO = Site("el-paso", "El Paso", "America/Denver", "+19155550100")
SEATTLE = Site("seattle", "Seattle", "America/Los_Angeles", "+12065550100")
SITES = (AUSTIN, EL_PASO, SEATTLE)


@dataclass(frozen=True)
class Patient:
    id: str
    name: str
    site: Site
    phone: str
    language: Language
    consents: tuple[Program, ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.site.label}, {self.language})"

    @property
    def zone(self) -> str:
        return self.site.zone


@dataclass(frozen=True)
class Clinician:
    id: str
    name: str
    site: Site
    phone: str
    role: Literal["psychiatrist", "nurse_practitioner", "director"]
    sites: tuple[Site, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} ({self.site.label})"

    @property
    def zone(self) -> str:
        return self.site.zone


@dataclass(frozen=True)
class Plan:
    id: str
    drug: str
    drug_class: DrugClass
    times: tuple[str, ...]
    start: date


@dataclass(frozen=True)
class Appointment:
    id: str
    start: datetime
    modality: Modality
    join_url: str | None = None


@dataclass(frozen=True)
class Roster:
    """Back-to-back 12-hour shifts (08:00-20:00, 20:00-08:00 local) over `days` days."""

    site: Site
    day: tuple[Clinician, Clinician]
    night: tuple[Clinician, Clinician]
    director: Clinician
    first: date
    days: int = 12


ANA = Patient(
    "p-1001", "Ana", AUSTIN, "+15125550143", "es", ("appointments", "medications", "checkins")
)
LUIS = Patient("p-1002", "Luis", EL_PASO, "+19155550123", "es", ("appointments", "medications"))
DALE = Patient("p-1003", "Dale", SEATTLE, "+12065550134", "en", ("appointments", "medications"))
SAM = Patient("p-1004", "Sam", SEATTLE, "+12065550178", "en", ("appointments",))
PATIENTS = (ANA, LUIS, DALE, SAM)

PATEL = Clinician("c-201", "Dr. Patel", AUSTIN, "+15125550188", "psychiatrist")
KIM = Clinician("c-202", "NP Kim", AUSTIN, "+15125550190", "nurse_practitioner")
GARZA = Clinician("c-203", "Dr. Garza", EL_PASO, "+19155550188", "psychiatrist")
ORTIZ = Clinician("c-204", "NP Ortiz", EL_PASO, "+19155550190", "nurse_practitioner")
NGUYEN = Clinician("c-205", "Dr. Nguyen", SEATTLE, "+12065550188", "psychiatrist")
OKAFOR = Clinician("c-206", "Dr. Okafor", SEATTLE, "+12065550190", "psychiatrist")
REYES = Clinician("c-200", "Dr. Reyes", AUSTIN, "+15125550199", "director", SITES)
CLINICIANS = (REYES, PATEL, KIM, GARZA, ORTIZ, NGUYEN, OKAFOR)

WHO: dict[str, Patient | Clinician] = {p.id: p for p in (*PATIENTS, *CLINICIANS)}
"""Everybody by id."""
BY_PHONE: dict[str, Patient | Clinician] = {p.phone: p for p in (*PATIENTS, *CLINICIANS)}
SITE_BY_ID: dict[str, Site] = {s.id: s for s in SITES}
