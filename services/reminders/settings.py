"""Reminders settings: MTM_REMINDERS__* on top of the shared service settings."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from services.reminders.rules import Offset, Policy, Site
from shared.events.base import Zone
from shared.settings import BaseServiceSettings
from shared.sites import SiteSection


class OffsetSettings(BaseModel):
    """One reminder of the cascade, `before` the appointment start."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$", description="In timer and dedup keys.")
    before: timedelta = Field(description="How long before the start (ISO 8601 or seconds).")
    clock: Literal["wall", "absolute"] = Field(
        description="wall: same local time whole days before (DST-safe); absolute: a duration."
    )
    modality: Literal["in_person", "telehealth"] | None = Field(
        default=None, description="Only for appointments of this modality."
    )
    reask: bool = Field(default=False, description="Asks 1/2/3; dropped once the patient confirms.")

    @model_validator(mode="after")
    def _whole_days_for_wall(self) -> Self:
        if self.before <= timedelta(0):
            raise ValueError("before must be positive")
        if self.clock == "wall" and (self.before.seconds or self.before.microseconds):
            raise ValueError("a wall-clock offset is a whole number of days")
        return self

    def to_rule(self) -> Offset:
        return Offset(
            name=self.name,
            before=self.before,
            clock=self.clock,
            modality=self.modality,
            reask=self.reask,
        )


def _unique(cascade: list[OffsetSettings]) -> list[OffsetSettings]:
    names = [o.name for o in cascade]
    if len(set(names)) != len(names) or "rebook" in names:
        raise ValueError("cascade offset names must be unique and not 'rebook'")
    return cascade


def _default_cascade() -> list[OffsetSettings]:
    """APPT-CASCADE: T-3 days and T-1 day (wall clock), then 2 h in person or 15 min telehealth."""
    return [
        OffsetSettings(name="d3", before=timedelta(days=3), clock="wall", reask=True),
        OffsetSettings(name="d1", before=timedelta(days=1), clock="wall", reask=True),
        OffsetSettings(
            name="h2", before=timedelta(hours=2), clock="absolute", modality="in_person"
        ),
        OffsetSettings(
            name="m15", before=timedelta(minutes=15), clock="absolute", modality="telehealth"
        ),
    ]


class RemindersSection(SiteSection):
    """The cascade, no-show follow-up and timer-worker tuning (the sites: MTM_SITES)."""

    moved_hint: ClassVar[str] = "; a site's own cascade is MTM_REMINDERS__SITE_CASCADES"

    cascade: list[OffsetSettings] = Field(default_factory=_default_cascade)
    site_cascades: dict[str, list[OffsetSettings]] = Field(
        default_factory=dict,
        description="A site's own cascade, by site id (one of MTM_SITES); a site not here uses "
        "CASCADE.",
    )
    default_zone: Zone = Field(default="America/Chicago", description="For an unknown site.")
    rebook_after: timedelta = Field(
        default=timedelta(hours=1), description="The rebook text goes this long after the start."
    )
    rebook_valid_for: timedelta = Field(
        default=timedelta(hours=72), description="A rebook text not sent by then is dropped."
    )
    timer_lease_seconds: float = Field(default=30, gt=0, description="Re-fire after a crash.")
    timer_poll_seconds: float = Field(default=0.25, gt=0, description="Idle poll of due timers.")
    # A failed firing (Kafka down) is retried after retry_seconds x attempt: with these defaults
    # a reminder survives about 3.4 hours of outage before it is parked in the dead set.
    timer_max_attempts: int = Field(default=50, ge=1)
    timer_retry_seconds: float = Field(default=10, ge=0)
    lock_seconds: float = Field(default=10, gt=0, description="Per-appointment lock lease.")

    @field_validator("cascade")
    @classmethod
    def _unique_names(cls, value: list[OffsetSettings]) -> list[OffsetSettings]:
        return _unique(value)

    @field_validator("site_cascades")
    @classmethod
    def _unique_names_per_site(
        cls, value: dict[str, list[OffsetSettings]]
    ) -> dict[str, list[OffsetSettings]]:
        return {site_id: _unique(cascade) for site_id, cascade in value.items()}

    def policy(self) -> Policy:
        """The plain-data policy the rules work with."""
        default = tuple(o.to_rule() for o in self.cascade)
        own = {site_id: tuple(o.to_rule() for o in c) for site_id, c in self.site_cascades.items()}
        sites = {
            site_id: Site(zone=s.zone, cascade=own.get(site_id, default))
            for site_id, s in self.sites.items()
        }
        return Policy(
            sites=sites,
            default_cascade=default,
            default_zone=self.default_zone,
            rebook_after=self.rebook_after,
            rebook_valid_for=self.rebook_valid_for,
        )


class RemindersSettings(BaseServiceSettings):
    """Everything the reminders process reads from its environment."""

    reminders: RemindersSection = Field(default_factory=RemindersSection)

    @model_validator(mode="after")
    def _cascades_of_known_sites(self) -> Self:
        unknown = sorted(set(self.reminders.site_cascades) - set(self.sites))
        if unknown:
            raise ValueError(
                "MTM_REMINDERS__SITE_CASCADES names sites not in MTM_SITES: " + ", ".join(unknown)
            )
        return self
