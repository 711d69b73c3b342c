"""The send policy: every rule in order, plain data in, one decision out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.dispatcher.rules.caps import Caps, counts_against_cap, within_caps
from services.dispatcher.rules.consent import ConsentFacts, check_consent
from services.dispatcher.rules.expiry import is_expired
from services.dispatcher.rules.numbers import textable
from services.dispatcher.rules.quiet_hours import Window, is_exempt, next_allowed

UNKNOWN_RETRY = timedelta(seconds=5)


@dataclass(frozen=True)
class PolicyConfig:
    caps: Caps
    allowed_regions: frozenset[str]
    crisis_to_opted_out: bool = False
    unknown_grace: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Ask:
    """The request, reduced to what the rules read."""

    category: str
    priority: str
    recipient_kind: str
    requested_at: datetime
    patient_chosen_time: bool = False
    not_before: datetime | None = None
    expires_at: datetime | None = None
    in_reply: bool = False
    """It answers what the patient just texted (a check-in's next item)."""


@dataclass(frozen=True)
class Target:
    """The recipient as the directory knows it (phone None: not in the directory)."""

    phone: str | None
    zone: str
    window: Window
    consent: ConsentFacts
    number_invalid: bool = False


@dataclass(frozen=True)
class Counts:
    day: int = 0
    week: int = 0
    already_counted: bool = False


@dataclass(frozen=True)
class Decision:
    action: str
    """ "send", "suppress", "defer" (quiet hours or not_before) or "wait" (directory lag)."""
    reason: str = ""
    until: datetime | None = None


SEND = Decision("send")


def decide(
    ask: Ask, target: Target, counts: Counts, now: datetime, config: PolicyConfig
) -> Decision:
    """Expiry, number, consent, timing, caps, in that order."""
    if target.phone is None:
        if now - ask.requested_at < config.unknown_grace:
            return Decision("wait", "unknown_recipient", now + UNKNOWN_RETRY)
        return Decision("suppress", "unknown_recipient")
    if is_expired(ask.expires_at, now):
        return Decision("suppress", "expired")
    if target.number_invalid or not textable(target.phone, config.allowed_regions):
        return Decision("suppress", "invalid_number")
    consent = check_consent(
        ask.category, target.consent, crisis_to_opted_out=config.crisis_to_opted_out
    )
    if not consent.allowed:
        return Decision("suppress", consent.reason)
    earliest = max(now, ask.not_before) if ask.not_before else now
    exempt = is_exempt(
        category=ask.category,
        priority=ask.priority,
        recipient_kind=ask.recipient_kind,
        patient_chosen_time=ask.patient_chosen_time,
        in_reply=ask.in_reply,
    )
    at = earliest if exempt else next_allowed(earliest, target.zone, target.window)
    if at > now:
        if is_expired(ask.expires_at, at):
            return Decision("suppress", "expired")
        reason = "quiet_hours_deferred" if at > earliest else "not_before"
        return Decision("defer", reason, at)
    capped = counts_against_cap(category=ask.category, priority=ask.priority, in_reply=ask.in_reply)
    if capped and not within_caps(
        day_count=counts.day,
        week_count=counts.week,
        already_counted=counts.already_counted,
        caps=config.caps,
    ):
        return Decision("suppress", "cap_reached")
    return SEND
