"""Events on mtm.patients: enrolment, contact details, consent, caregivers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Day, Event, Id, LocalTime, Phone, Zone, phi

Language = Literal["en", "es"]
Program = Literal["appointments", "medications", "checkins", "caregiver", "detailed_content"]
"""What a consent covers. `detailed_content` allows drug names and instrument names in SMS."""
ConsentScope = Literal[
    "appointments", "medications", "checkins", "caregiver", "detailed_content", "all"
]


class PatientEnrolled(Event):
    """A patient joined the SMS programme at a site."""

    event_type: Literal["PatientEnrolled"] = "PatientEnrolled"
    patient_id: Id
    site_id: Id
    phone: Phone = phi("Mobile number the patient gave the clinic, E.164.")
    language: Language = Field(default="en", description="Language of the patient's messages.")
    zone: Zone = Field(description="The patient's IANA zone, from their residential county.")
    quiet_start: LocalTime = Field(default="09:00", description="Start of allowed hours (local).")
    quiet_end: LocalTime = Field(default="20:00", description="End of allowed hours (local).")
    date_of_birth: Day | None = phi("Date of birth, for age-dependent rules.", default=None)
    consents: list[Program] = Field(
        default_factory=list, description="Programmes the patient consented to at intake."
    )
    consent_evidence: str | None = Field(
        default=None, max_length=256, description="Where the intake consent is recorded (form id)."
    )


class PatientContactChanged(Event):
    """A patient's phone, language, zone or quiet-hours preference changed."""

    event_type: Literal["PatientContactChanged"] = "PatientContactChanged"
    patient_id: Id
    phone: Phone | None = phi("New mobile number, E.164.", default=None)
    language: Language | None = Field(default=None, description="New language.")
    zone: Zone | None = Field(default=None, description="New IANA zone.")
    quiet_start: LocalTime | None = Field(default=None, description="New start of allowed hours.")
    quiet_end: LocalTime | None = Field(default=None, description="New end of allowed hours.")


class ConsentChanged(Event):
    """Consent to a programme was granted or revoked."""

    event_type: Literal["ConsentChanged"] = "ConsentChanged"
    patient_id: Id
    status: Literal["granted", "revoked"] = Field(description="The new state.")
    scope: ConsentScope = Field(default="all", description="The programme it covers.")
    channel: Literal["sms_keyword", "intake", "portal", "staff", "carrier"] = Field(
        description="How the change reached us."
    )
    evidence: str | None = Field(
        default=None, max_length=256, description="Reference to the proof (MessageSid, form id)."
    )


class CaregiverLinked(Event):
    """A caregiver was linked to a patient, with the patient's consent."""

    event_type: Literal["CaregiverLinked"] = "CaregiverLinked"
    patient_id: Id
    caregiver_id: Id
    phone: Phone = phi("Caregiver's mobile number, E.164.")
    language: Language = "en"
    consent_evidence: str = Field(max_length=256, description="Reference to the patient's consent.")


class CaregiverUnlinked(Event):
    """A caregiver link was removed."""

    event_type: Literal["CaregiverUnlinked"] = "CaregiverUnlinked"
    patient_id: Id
    caregiver_id: Id


class PatientDischarged(Event):
    """The patient left the programme; no further messages."""

    event_type: Literal["PatientDischarged"] = "PatientDischarged"
    patient_id: Id
    reason: str | None = Field(default=None, max_length=256, description="Why (no PHI).")
