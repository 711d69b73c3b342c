"""What people and clinic systems do, as data: each step becomes the events a clinic system,
the pharmacy publishes, or the texts Twilio posts to the gateway.

Ids are fixed (uuid5 of the step's key) and times come from the fake clock, so a run publishes
the very same events every time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypedDict
from uuid import UUID

from demo.cast import (
    CLINICIANS,
    Appointment,
    Clinician,
    Patient,
    Plan,
    Roster,
    demo_id,
)
from shared import events as ev
from shared.events.symptoms import CheckInKind


class Context(Protocol):
    """What a step may ask about what happened so far."""

    def now(self) -> datetime: ...

    def last_page_code(self, clinician_id: str) -> str: ...


@dataclass(frozen=True)
class Inbound:
    """A text somebody sends, as Twilio's inbound webhook carries it to the gateway."""

    message_sid: str
    from_phone: str
    to_phone: str
    body: str


class Step(Protocol):
    """One thing somebody does: events a clinic system publishes, or texts to the gateway."""

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]: ...


class Envelope(TypedDict):
    event_id: UUID
    occurred_at: datetime
    source: str
    correlation_id: str


def _envelope(ctx: Context, key: str) -> Envelope:
    """Fixed ids, the fake clock's time: the same events on every run."""
    return {
        "event_id": demo_id("event", key),
        "occurred_at": ctx.now(),
        "source": "demo",
        "correlation_id": f"demo-{key}",
    }


@dataclass(frozen=True)
class Directory:
    """The clinician directory and every site's on-call roster."""

    rosters: tuple[Roster, ...]

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        out: list[ev.Event | Inbound] = [
            ev.ClinicianRegistered(
                **_envelope(ctx, f"{key}:{c.id}"),
                clinician_id=c.id,
                phone=c.phone,
                display_name=c.name,
                sites=[s.id for s in (c.sites or (c.site,))],
                role=c.role,
            )
            for c in CLINICIANS
        ]
        out += [_roster(ctx, f"{key}:{r.site.id}", r) for r in self.rosters]
        return out


def _roster(ctx: Context, key: str, roster: Roster) -> ev.RosterPublished:
    shifts = []
    for i in range(roster.days):
        day = roster.first + timedelta(days=i)
        for (start, end), (primary, backup) in (
            (("08:00", "20:00"), roster.day),
            (("20:00", "08:00"), roster.night),
        ):
            ends = day + timedelta(days=1) if end < start else day
            shifts.append(
                ev.Shift(
                    start_local=f"{day.isoformat()}T{start}",
                    end_local=f"{ends.isoformat()}T{end}",
                    primary_id=primary.id,
                    backup_id=backup.id,
                )
            )
    return ev.RosterPublished(
        **_envelope(ctx, key),
        site_id=roster.site.id,
        roster_id=f"roster-{roster.site.id}-{roster.first.isoformat()}",
        zone=roster.site.zone,
        shifts=shifts,
        director_id=roster.director.id,
    )


@dataclass(frozen=True)
class Enrol:
    patient: Patient

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        p = self.patient
        return [
            ev.PatientEnrolled(
                **_envelope(ctx, key),
                patient_id=p.id,
                site_id=p.site.id,
                phone=p.phone,
                language=p.language,
                zone=p.zone,
                consents=list(p.consents),
                consent_evidence=f"intake-form-{p.id}",
            )
        ]


@dataclass(frozen=True)
class StartPlan:
    patient: Patient
    plan: Plan

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        return [
            ev.MedicationPlanStarted(
                **_envelope(ctx, key),
                patient_id=self.patient.id,
                site_id=self.patient.site.id,
                plan_id=self.plan.id,
                drug=self.plan.drug,
                drug_class=self.plan.drug_class,
                dose_times=list(self.plan.times),
                zone=self.patient.zone,
                start_date=self.plan.start,
            )
        ]


@dataclass(frozen=True)
class Fill:
    """A pharmacy fill, as the pharmacy system reports it."""

    patient: Patient
    plan: Plan
    filled: date
    days: int

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        return [
            ev.MedicationDispensed(
                **_envelope(ctx, key),
                patient_id=self.patient.id,
                site_id=self.patient.site.id,
                plan_id=self.plan.id,
                drug=self.plan.drug,
                drug_class=self.plan.drug_class,
                fill_date=self.filled,
                days_supply=self.days,
            )
        ]


@dataclass(frozen=True)
class Book:
    patient: Patient
    appointment: Appointment

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        a = self.appointment
        return [
            ev.AppointmentBooked(
                **_envelope(ctx, key),
                patient_id=self.patient.id,
                site_id=self.patient.site.id,
                appointment_id=a.id,
                start=a.start.astimezone(UTC),
                modality=a.modality,
                join_url=a.join_url,
            )
        ]


def message_sid(key: str) -> str:
    """A Twilio-shaped MessageSid that is the same on every run."""
    return "SM" + demo_id("sms", key).hex


def _inbound(key: str, sender: Patient | Clinician, body: str) -> Inbound:
    return Inbound(message_sid(key), sender.phone, sender.site.number, body)


@dataclass(frozen=True)
class Text:
    """A text somebody sends to their site's number; Twilio posts it to the gateway."""

    sender: Patient | Clinician
    body: str

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        return [_inbound(key, self.sender, self.body)]


@dataclass(frozen=True)
class Ack:
    """A clinician answers the last page they got: "ACK <code>"."""

    clinician: Clinician

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        code = ctx.last_page_code(self.clinician.id)
        return [_inbound(key, self.clinician, f"ACK {code}")]


@dataclass(frozen=True)
class Resolve:
    """A clinician closes the alert of the last page they got: "RESOLVE <code>" (an ACK alone
    leaves it open, and an hour later the service reminds them and pages the next step)."""

    clinician: Clinician

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        code = ctx.last_page_code(self.clinician.id)
        return [_inbound(key, self.clinician, f"RESOLVE {code}")]


@dataclass(frozen=True)
class PlanCheckIn:
    """The clinic asks a patient a check-in by SMS every week, on a weekday (0 = Monday)."""

    patient: Patient
    kind: CheckInKind
    weekday: int
    at: str
    start: date

    def messages(self, ctx: Context, key: str) -> list[ev.Event | Inbound]:
        return [
            ev.CheckInPlanSet(
                **_envelope(ctx, key),
                patient_id=self.patient.id,
                site_id=self.patient.site.id,
                kind=self.kind,
                every_days=7,
                weekday=self.weekday,
                local_time=self.at,
                zone=self.patient.zone,
                start_date=self.start,
            )
        ]
