"""Events on mtm.clinicians: the clinician directory and on-call rosters."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Event, Id, Model, Phone, Zone, phi

_LOCAL_DT = r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$"


class ClinicianRegistered(Event):
    """A clinician who can be paged."""

    event_type: Literal["ClinicianRegistered"] = "ClinicianRegistered"
    clinician_id: Id
    phone: Phone = phi("Clinician's mobile number for pages, E.164.")
    display_name: str = phi("Name shown in 'acknowledged by' notices.", min_length=1, max_length=64)
    sites: list[Id] = Field(default_factory=list, description="Sites the clinician covers.")
    role: Literal["psychiatrist", "nurse_practitioner", "nurse", "director", "other"] = (
        "psychiatrist"
    )

    def kafka_key(self) -> bytes:
        return self.clinician_id.encode()


class Shift(Model):
    """An on-call shift in the site's local wall-clock time ("2026-03-08T08:00")."""

    start_local: str = Field(pattern=_LOCAL_DT)
    end_local: str = Field(pattern=_LOCAL_DT)
    primary_id: Id
    backup_id: Id | None = None


class RosterPublished(Event):
    """The on-call roster of a site (replaces the previous one for the period it covers)."""

    event_type: Literal["RosterPublished"] = "RosterPublished"
    site_id: Id
    roster_id: Id
    zone: Zone = Field(description="The site's IANA zone; shift times are local to it.")
    shifts: list[Shift] = Field(max_length=2000)
    overrides: list[Shift] = Field(
        default_factory=list, max_length=500, description="Win over shifts."
    )
    director_id: Id | None = None
    network_fallback: bool = Field(
        default=False,
        description="This roster is the network-wide on-call used when a site has none.",
    )

    def kafka_key(self) -> bytes:
        return self.site_id.encode()
