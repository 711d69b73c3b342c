"""The one object the handlers and timers of the escalation service work with: `Context`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.escalation.model import AlertState
from services.escalation.outbox import Outbox
from services.escalation.rules.localtime import next_local
from services.escalation.rules.policy import LadderPlan
from services.escalation.settings import EscalationSection, Ladder
from services.escalation.state import Store
from shared.clock import Clock
from shared.idempotency import EventLedger, Once
from shared.timers import Timers


@dataclass
class Context:
    """Settings, state, outbox, the step claims (`once`), the timers and the clock."""

    config: EscalationSection
    store: Store
    outbox: Outbox
    once: Once
    """Claims of ladder steps and resolve-by checks, leased `config.step_claim_seconds`."""
    alert_timers: Timers
    digest_timers: Timers
    clock: Clock
    ledger: EventLedger

    def ladder(self, severity: str) -> LadderPlan:
        """The ladder of a severity from settings, scaled, to be frozen into a new alert."""
        ladder: Ladder = getattr(self.config.ladders, severity)
        return ladder.plan(self.config.time_scale)

    def resolve_plan(self, state: AlertState) -> LadderPlan:
        """The alert's frozen ladder; for an alert opened before resolve-by existed (its
        snapshot has no `resolve_within`), the current settings' deadline and bound."""
        plan = state.ladder
        if "resolve_within" in state.plan:
            return plan
        current = self.ladder(state.severity)
        return replace(
            plan, resolve_within=current.resolve_within, max_reminders=current.max_reminders
        )

    def site_zone(self, site_id: str, roster_zone: str | None = None) -> str:
        site = self.config.sites.get(site_id)
        return site.zone if site else (roster_zone or "UTC")

    def next_digest(self, site_id: str, now: datetime, roster_zone: str | None = None) -> datetime:
        return next_local(now, self.config.digest_time, self.site_zone(site_id, roster_zone))
