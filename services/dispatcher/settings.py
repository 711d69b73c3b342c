"""Dispatcher settings: MTM_DISPATCHER__* on top of the shared Twilio service settings."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from services.dispatcher.rules.content import is_gsm7
from shared.events.base import LocalTime
from shared.settings import TwilioServiceSettings
from shared.sites import A2P_REGISTRATION, Site, SiteSection, unregistered_a2p_senders

SiteSettings = Site
"""A site as the dispatcher reads it from the shared registry (MTM_SITES): display_name,
help_phone, zone, from_number or messaging_service_sid, fallback_from_number (pages only),
inbound_numbers."""


class DispatcherSection(SiteSection):
    """Policy defaults, limits and retry bounds of the dispatcher (the sites: MTM_SITES)."""

    default_site: str = Field(
        default="austin", description="Used when a contact has no site (one of MTM_SITES)."
    )
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
    config_retry_base_seconds: float = Field(
        default=10.0,
        gt=0,
        description="First wait of a send held because Twilio refused our configuration "
        "(credentials, account, sender); doubles per try up to CONFIG_RETRY_MAX_SECONDS.",
    )
    config_retry_max_seconds: float = Field(
        default=120.0, gt=0, description="Longest wait between tries of a held send."
    )
    config_warning_every_seconds: int = Field(
        default=3600,
        ge=1,
        description="One OperationalWarning(twilio_configuration) per fault (account or sender, "
        "and code) in this long, however many sends it holds.",
    )
    crisis_text_to_opted_out: bool = Field(
        default=False, description="Send crisis resources to an opted-out number (needs counsel)."
    )
    status_callback_url: str | None = Field(
        default=None,
        description="Where Twilio posts delivery statuses: the gateway's <public URL>"
        "/twilio/status (required in production).",
    )
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


class DispatcherSettings(TwilioServiceSettings):
    """Everything the dispatcher process reads from its environment."""

    dispatcher: DispatcherSection = Field(default_factory=DispatcherSection)

    @model_validator(mode="after")
    def _sites_fit_the_dispatcher(self) -> Self:
        if self.dispatcher.default_site not in self.sites:
            raise ValueError("MTM_DISPATCHER__DEFAULT_SITE must be one of MTM_SITES")
        not_gsm7 = [site_id for site_id, s in self.sites.items() if not is_gsm7(s.display_name)]
        if not_gsm7:
            raise ValueError("MTM_SITES: display_name must be GSM-7 (" + ", ".join(not_gsm7) + ")")
        return self

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.dispatcher.status_callback_url:
            problems.append(
                "a missing MTM_DISPATCHER__STATUS_CALLBACK_URL (the gateway's <public URL>"
                "/twilio/status, where Twilio posts delivery statuses)"
            )
        if unregistered := unregistered_a2p_senders(self.sites):
            problems.append(
                "sites that text from a US long code without A2P 10DLC registration ("
                + ", ".join(unregistered)
                + "): "
                + A2P_REGISTRATION
            )
        return problems
