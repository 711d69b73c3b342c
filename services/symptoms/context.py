"""The one object the symptoms handlers and check-in timers work with; built once per process in
app.py."""

from __future__ import annotations

from dataclasses import dataclass

from services.symptoms.alerts import AlertPublisher
from services.symptoms.checkins import CheckIns
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.state import SymptomState
from shared.broker import group_id
from shared.clock import Clock
from shared.idempotency import EventLedger, Once
from shared.topics import Groups


@dataclass
class Context:
    """The symptoms service's state, claims, alert publisher, check-ins and thresholds."""

    state: SymptomState
    once: Once
    """Handle each record's business key once (claims `<prefix>:claim:<name>`)."""
    publisher: AlertPublisher
    checkins: CheckIns
    thresholds: Thresholds
    ledger: EventLedger
    clock: Clock
    group_prefix: str = ""

    def group(self, topic: str) -> str:
        """A consumer group per topic: one group over several topics rebalances them together."""
        return group_id(Groups.SYMPTOMS, topic, prefix=self.group_prefix)
