"""Dispatcher settings: MTM_DISPATCHER__* on top of the shared Twilio service settings."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from services.dispatcher.rules.content import is_gsm7
from shared.events.base import LocalTime, Phone, Zone
from shared.settings import TwilioServiceSettings


class SiteSettings(BaseModel):
    """One clinic site: its sender, neutral display name, help phone and zone."""

    display_name: str = Field(min_length=2, max_length=24, description="Neutral brand, GSM-7.")
    help_phone: str = Field(pattern=r"^\d{3}-\d{3}-\d{4}$", description="Shown in texts.")
    zone: Zone = Field(description="The site's IANA zone (clinician pages, fallback).")
    from_number: Phone | None = Field(default=None, description="Local-area-code sender.")
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    inbound_numbers: list[Phone] = Field(
        default_factory=list, description="Numbers patients text (besides from_number)."
    )

    @model_validator(mode="after")
    def _has_sender(self) -> Self:
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("a site needs from_number or messaging_service_sid")
        if not is_gsm7(self.display_name):
            raise ValueError("display_name must be GSM-7")
        return self

    @property
    def sender(self) -> str:
        """The sender identity the rate limit and reconciliation use."""
        return self.messaging_service_sid or self.from_number or ""


def _default_sites() -> dict[str, SiteSettings]:
    def site(name: str, phone: str, zone: str) -> SiteSettings:
        return SiteSettings(
            display_name=name,
            help_phone=phone,
            zone=zone,
            from_number="+1" + phone.replace("-", ""),
        )

    return {
        "austin": site("Northside Clinic", "512-555-0100", "America/Chicago"),
        "houston": site("Bayou Health", "713-555-0100", "America/Chicago"),
        "el-paso": site("Franklin Health", "915-555-0100", "America/Denver"),
        "seattle": site("Sound Health", "206-555-0100", "America/Los_Angeles"),
        "spokane": site("Inland Health", "509-555-0100", "America/Los_Angeles"),
    }


class DispatcherSection(BaseModel):
    """Policy defaults, limits and retry bounds of the dispatcher."""

    sites: dict[str, SiteSettings] = Field(default_factory=_default_sites)
    default_site: str = Field(default="austin", description="Used when a contact has no site.")
    quiet_start: LocalTime = Field(default="09:00", description="Default allowed-hours start.")
    quiet_end: LocalTime = Field(default="20:00", description="Default allowed-hours end.")
    cap_per_day: int = Field(default=10, ge=1, description="Non-urgent texts per local day.")
    cap_per_week: int = Field(default=40, ge=1, description="Non-urgent texts per ISO week.")
    rate_per_second: float = Field(default=10.0, gt=0, description="Routine sends per sender.")
    max_429_retries: int = Field(default=6, ge=0, le=12)
    backoff_base_seconds: float = Field(default=0.25, ge=0)
    backoff_max_seconds: float = Field(default=8.0, ge=0)
    max_ambiguous_retries: int = Field(default=3, ge=0, le=10)
    ambiguous_settle_seconds: float = Field(
        default=1.0, ge=0, description="Wait before looking up a message after a 5xx/timeout."
    )
    twilio_timeout_seconds: float = Field(default=10.0, gt=0)
    crisis_text_to_opted_out: bool = Field(
        default=False, description="Send crisis resources to an opted-out number (needs counsel)."
    )
    status_callback_url: str | None = Field(default=None, description="The gateway's URL.")
    claim_lease_seconds: int = Field(
        default=15,
        ge=6,
        description="Send lease, renewed every third of it while alive: a "
        "crashed worker's send is taken over after this long.",
    )
    context_ttl_hours: int = Field(default=72, ge=1, description="Replies bind within this.")
    retry_30003_minutes: float = Field(default=30.0, ge=0, description="Delay of the one retry.")
    unknown_recipient_grace_seconds: int = Field(
        default=300, ge=0, description="Wait this long for the directory before suppressing."
    )
    reconcile_after_seconds: float = Field(
        default=900.0,
        gt=0,
        description="A sent message without a final status this long is looked up at Twilio "
        "(a status callback lost or never sent); later look-ups back off.",
    )
    reconcile_every_seconds: float = Field(
        default=30.0, gt=0, description="How often sent messages due for a look-up are sought."
    )
    reconcile_give_up_hours: float = Field(
        default=72.0, gt=0, description="After this, a message still not final is left as is."
    )
    allowed_regions: list[str] = Field(default_factory=lambda: ["US"])
    routine_workers: int = Field(default=1, ge=1, le=16, description="Routine partitions at once.")
    urgent_workers: int = Field(
        default=6,
        ge=1,
        le=16,
        description=(
            "Urgent partitions at once (6: all of them), so that a page never waits behind"
            " HELP answers or another patient's page being sent."
        ),
    )
    help_max_per_day: int = Field(default=10, ge=1, description="Stated in the HELP text.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_site not in self.sites:
            raise ValueError("default_site must be one of sites")
        return self


class DispatcherSettings(TwilioServiceSettings):
    """Everything the dispatcher process reads from its environment."""

    dispatcher: DispatcherSection = Field(default_factory=DispatcherSection)
