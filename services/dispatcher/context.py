"""The dispatcher's one context: adapters, settings, and the small lookups every flow uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from services.dispatcher.contacts.directory import Contact, Directory
from services.dispatcher.metrics import Metrics
from services.dispatcher.rules.caps import Caps
from services.dispatcher.rules.policy import PolicyConfig
from services.dispatcher.rules.quiet_hours import Window
from services.dispatcher.send.limiter import RateLimiter
from services.dispatcher.send.store import SendStore
from services.dispatcher.sender import SmsSender
from services.dispatcher.settings import DispatcherSection, SiteSettings
from shared.broker import EventBus
from shared.clock import Clock
from shared.events import ConsentChanged, Event
from shared.idempotency import EventLedger
from shared.ids import IdSpace
from shared.timers import Timers

SOURCE = "dispatcher"
IDS = IdSpace(UUID("5d1c0f9e-2f7a-4c51-9a57-2f1f3f0e6a11"), source=SOURCE, sep="|")
"""Deterministic ids: a replayed step publishes the same event_id, so consumers dedupe."""


def send_key(notification_id: object, attempt: int) -> str:
    """The claim name of one send attempt (attempt 1 is the single 30003 retry)."""
    return str(notification_id) if attempt == 0 else f"{notification_id}:r{attempt}"


@dataclass
class Context:
    """The dispatcher's adapters and settings, built once per process in app.py; every handler,
    timer and loop takes it as `ctx`."""

    settings: DispatcherSection
    bus: EventBus
    directory: Directory
    store: SendStore
    sender: SmsSender
    limiter: RateLimiter
    timers: Timers
    clock: Clock
    ledger: EventLedger
    metrics: Metrics = field(default_factory=Metrics)
    opt_out_mode: Literal["twilio_default", "advanced"] = "twilio_default"
    """MTM_TWILIO__OPT_OUT_MODE: who answers STOP/START/HELP (see rules/keywords.py)."""

    @property
    def policy(self) -> PolicyConfig:
        s = self.settings
        return PolicyConfig(
            caps=Caps(per_day=s.cap_per_day, per_week=s.cap_per_week),
            allowed_regions=frozenset(s.allowed_regions),
            crisis_to_opted_out=s.crisis_text_to_opted_out,
            unknown_grace=timedelta(seconds=s.unknown_recipient_grace_seconds),
        )

    def site(self, site_id: str | None) -> tuple[str, SiteSettings]:
        """A site by id, or the default site."""
        if site_id and site_id in self.settings.sites:
            return site_id, self.settings.sites[site_id]
        default = self.settings.default_site
        return default, self.settings.sites[default]

    def site_by_number(self, number: str) -> str | None:
        """The site whose sender or inbound numbers include `number`."""
        for site_id, site in self.settings.sites.items():
            if number in (site.from_number, site.fallback_from_number, *site.inbound_numbers):
                return site_id
        return None

    def zone(self, contact: Contact) -> str:
        return contact.zone or self.site(contact.site_id)[1].zone

    def window(self, contact: Contact) -> Window:
        return Window.parse(
            contact.quiet_start or self.settings.quiet_start,
            contact.quiet_end or self.settings.quiet_end,
        )

    async def publish(self, event: Event) -> None:
        await self.bus.publish(event)

    async def announce_consent(
        self,
        key: str,
        *,
        status: Literal["granted", "revoked"],
        channel: Literal["sms_keyword", "carrier"],
        evidence: str,
        correlation_id: str | None = None,
    ) -> None:
        """ConsentChanged for everyone who uses a number (an SMS opt-out covers the number)."""
        for kind, id_ in await self.directory.owners(key):
            contact = await self.directory.get(kind, id_)
            if contact is None:
                continue
            targets: list[tuple[str, Literal["all", "caregiver"]]] = []
            if kind == "patient":
                targets = [(id_, "all")]
            elif kind == "caregiver":
                targets = [(p, "caregiver") for p in contact.patients]
            for patient_id, scope in targets:
                await self.publish(
                    ConsentChanged(
                        event_id=IDS.id("consent", evidence, status, patient_id, scope),
                        patient_id=patient_id,
                        site_id=contact.site_id,
                        status=status,
                        scope=scope,
                        channel=channel,
                        evidence=evidence[:256],
                        source=SOURCE,
                        correlation_id=correlation_id,
                    )
                )


def envelope(req: Any, **extra: Any) -> dict[str, Any]:
    """Envelope fields an outcome event copies from its request."""
    patient_id = req.patient_id or (req.recipient.id if req.recipient.kind == "patient" else None)
    return {
        "patient_id": patient_id,
        "site_id": req.site_id,
        "source": SOURCE,
        "correlation_id": req.correlation_id or str(req.event_id),
        **extra,
    }
