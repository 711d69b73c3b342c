"""The one object the adherence handlers and timer steps work with: its adapters and its
configuration (`Config`, the settings as plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from services.adherence.rules.thresholds import Thresholds
from services.adherence.rules.windows import WindowPolicy
from services.adherence.state import State
from shared.clock import Clock
from shared.idempotency import EventLedger, Once, Publisher
from shared.timers import Timers


@dataclass(frozen=True)
class Config:
    """The adherence settings as plain data (durations are service time)."""

    windows: WindowPolicy = field(default_factory=WindowPolicy)
    thresholds: Thresholds = field(default_factory=Thresholds)
    horizon_days: int = 2
    horizon_refresh: timedelta = timedelta(hours=12)
    refill_lead_days: int = 5
    refill_grace_days: int = 7
    refill_time: str = "10:00"
    pdc_period_days: int = 180
    pdc_threshold: float = 0.8
    history_days: int = 40
    transient_retry: timedelta = timedelta(seconds=5)
    """A timer step that met Kafka or Redis away runs again this much later."""


@dataclass
class Context:
    """The service's adapters and configuration, handed to handlers and timer steps."""

    state: State
    timers: Timers
    """The dose timers (`timers.py` has their kinds)."""
    once: Once
    """Handled events (`event:<id>`), prompts and DoseMissed, each done once."""
    alert_once: Once
    """Alert episodes, done once with a long memory: an episode can stay open for months."""
    bus: Publisher
    clock: Clock
    ledger: EventLedger
    config: Config = field(default_factory=Config)
