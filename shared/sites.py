"""The clinic sites: one registry (MTM_SITES) that the dispatcher, reminders and escalation read.

Each service takes the fields it needs: the dispatcher the patient-facing name, help phone and
numbers; reminders the zone; escalation the zone and the staff-facing name. Without MTM_SITES the
services run on the built-in demo sites (fictional 555 numbers), which production refuses. A site
that texts from a US long code needs its A2P 10DLC campaign (`a2p_campaign_sid`) or a Messaging
Service (`messaging_service_sid`) in production (the dispatcher's check).

    MTM_SITES='{"austin": {"name": "Austin", "display_name": "Northside Clinic",
                "help_phone": "512-555-0100", "zone": "America/Chicago",
                "from_number": "+15125550100", "fallback_from_number": "+15125550101"}}'
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from shared.events.base import Zone
from shared.events.sms import PhoneOrShortCode


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
    from_number: PhoneOrShortCode | None = Field(
        default=None, description="Sender: a local-area-code number (E.164) or a short code."
    )
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    fallback_from_number: PhoneOrShortCode | None = Field(
        default=None,
        description="A second sender for clinician pages: tried once when Twilio refuses the "
        "site's sender (21606, 21408, 21612); unset: a page waits for the sender to be fixed.",
    )
    a2p_campaign_sid: str | None = Field(
        default=None,
        pattern=r"^QE[0-9a-fA-F]{32}$",
        description="The US A2P 10DLC campaign (QE…) the site's US long-code senders are "
        "registered under; production refuses such a sender without it or a "
        "messaging_service_sid.",
    )
    inbound_numbers: list[PhoneOrShortCode] = Field(
        default_factory=list,
        description="Numbers and short codes patients text (besides from_number).",
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

TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})
A2P_REGISTRATION = (
    "register an A2P 10DLC brand and campaign for the number and set the site's "
    "a2p_campaign_sid (QE…), or send through a Messaging Service with a registered campaign "
    "(messaging_service_sid); US carriers block unregistered 10DLC traffic"
)


def is_us_long_code(number: str) -> bool:
    """A US 10-digit long code (10DLC): +1 and ten digits, not a toll-free 8XX number."""
    return (
        len(number) == 12
        and number.startswith("+1")
        and number[2:].isdigit()
        and number[2:5] not in TOLL_FREE_AREA_CODES
    )


def unregistered_a2p_senders(sites: SiteRegistry) -> list[str]:
    """Sites that would text from a US long code without an A2P 10DLC campaign or a Messaging
    Service (production refuses them; A2P_REGISTRATION says what to register)."""
    return [
        site_id
        for site_id, site in sites.items()
        if any(is_us_long_code(n) for n in (site.from_number, site.fallback_from_number) if n)
        and not site.messaging_service_sid
        and not site.a2p_campaign_sid
    ]


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
