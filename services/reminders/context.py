"""The one object the handlers and timers of the reminders service work with: `Context`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.reminders.rules import Appointment, Policy
from services.reminders.state import Store
from shared.broker import EventBus
from shared.clock import Clock
from shared.events import NotificationRequested
from shared.idempotency import EventLedger, Once
from shared.timers import Timers

log = logging.getLogger("mtm.reminders")


@dataclass
class Context:
    """State, timers, the bus, the clock, the sites' policy and the idempotency records."""

    store: Store
    timers: Timers
    bus: EventBus
    clock: Clock
    policy: Policy
    ledger: EventLedger
    sent: Once
    """Claims `sent:<dedup_key>`: each text is published once. Taken under the appointment lock
    and leased as long as it, so a dead holder's claim runs out with its lock."""
    handled: Once
    """Markers `event:<event_id>` of handled events, kept `state.EVENT_MARKER_TTL`."""

    async def was_sent(self, dedup_key: str) -> bool:
        return await self.sent.done(f"sent:{dedup_key}")

    async def publish_once(self, request: NotificationRequested, appt: Appointment) -> None:
        """Publish unless this text was already published. A crash between publishing and
        completing the claim publishes it again with the same notification_id, once the lease
        has run out; the dispatcher sends it once."""
        if not await self.sent.publish(f"sent:{request.dedup_key}", request, self.bus):
            return
        log.info(
            "notification requested",
            extra={
                "template_id": request.template_id,
                "notification_id": str(request.notification_id),
                "appointment_id": appt.appointment_id,
                "patient_id": appt.patient_id,
            },
        )
