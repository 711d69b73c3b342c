"""The clinic sites: one registry (MTM_SITES) that the dispatcher, reminders and escalation read.

Each service takes the fields it needs: the dispatcher the patient-facing name, help phone and
numbers; reminders the zone; escalation the zone and the staff-facing name. Without MTM_SITES the
services run on the built-in demo sites (fictional 555 numbers), which production refuses.

    MTM_SITES='{"austin": {"name": "Austin", "display_name": "Northside Clinic",
                "help_phone": "512-555-0100", "zone": "America/Chicago",
                "from_number": "+15125550100"}}'
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from shared.events.base import Phone, Zone


class Site(BaseModel):
    """One clinic site: its names for patients and for staff, zone, help phone and numbers."""

    name: str | None = Field(
        default=None,
        min_length=2,
        max_length=24,
        description="Short, neutral name in clinician pages (unset: the site id).",
    )
    display_name: str = Field(
        min_length=2, max_length=24, description="Neutral brand in patient texts, GSM-7."
    )
    help_phone: str = Field(pattern=r"^\d{3}-\d{3}-\d{4}$", description="Shown in texts.")
    zone: Zone = Field(description="IANA zone (fallback for patients and rosters without one).")
    from_number: Phone | None = Field(default=None, description="Local-area-code sender.")
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    inbound_numbers: list[Phone] = Field(
        default_factory=list, description="Numbers patients text (besides from_number)."
    )

    @model_validator(mode="after")
    def _has_sender(self) -> Self:
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("a site needs from_number or messaging_service_sid")
        return self

    @property
    def sender(self) -> str:
        """The sender identity the rate limit and reconciliation use."""
        return self.messaging_service_sid or self.from_number or ""


SiteRegistry = dict[str, Site]
"""Sites by id (the `site_id` of events)."""


def demo_sites() -> SiteRegistry:
    """The built-in demo sites (fictional 555 numbers): the default outside production."""

    def site(name: str, display_name: str, phone: str, zone: str) -> Site:
        return Site(
            name=name,
            display_name=display_name,
            help_phone=phone,
            zone=zone,
            from_number="+1" + phone.replace("-", ""),
        )

    chicago, denver, pacific = "America/Chicago", "America/Denver", "America/Los_Angeles"
    return {
        "austin": site("Austin", "Northside Clinic", "512-555-0100", chicago),
        "houston": site("Houston", "Bayou Health", "713-555-0100", chicago),
        "el-paso": site("El Paso", "Franklin Health", "915-555-0100", denver),
        "seattle": site("Seattle", "Sound Health", "206-555-0100", pacific),
        "spokane": site("Spokane", "Inland Health", "509-555-0100", pacific),
    }


def demo_entries(sites: SiteRegistry) -> list[str]:
    """The ids of `sites` that are built-in demo sites, unchanged."""
    demo = demo_sites()
    return [site_id for site_id, site in sites.items() if demo.get(site_id) == site]


class SiteSection(BaseModel):
    """A service's settings section that reads the site registry.

    The registry is not a field of the section (it is MTM_SITES, not MTM_<SECTION>__SITES): the
    service's settings hand it over after validation. A section built on its own has the demo
    sites."""

    _sites: SiteRegistry = PrivateAttr(default_factory=demo_sites)
    moved_hint: ClassVar[str] = ""
    """Appended to the refusal of an old per-service site table (what moved where else)."""

    @model_validator(mode="before")
    @classmethod
    def _no_own_site_table(cls, data: Any) -> Any:
        # MTM_DISPATCHER__SITES and the like would otherwise be ignored without a word.
        if isinstance(data, dict) and "sites" in data:
            raise ValueError(
                "a service's own site table (MTM_<SERVICE>__SITES) is gone: set MTM_SITES, the "
                "one site registry of every service (shared/sites.py)" + cls.moved_hint
            )
        return data

    @property
    def sites(self) -> SiteRegistry:
        """The site registry (MTM_SITES)."""
        return self._sites

    def with_sites(self, sites: SiteRegistry) -> Self:
        """A copy of the section that reads `sites`."""
        copy = self.model_copy()
        copy._sites = sites
        return copy
