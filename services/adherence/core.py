"""What every part of the adherence service shares: its configuration and its adapters."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from services.adherence.rules.thresholds import Thresholds
from services.adherence.rules.windows import WindowPolicy
from services.adherence.state import State
from shared.broker import TransientError
from shared.clock import Clock
from shared.events import Event
from shared.idempotency import Claims, ClaimState, EventLedger
from shared.timers import Timers

log = logging.getLogger("mtm.adherence")


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
    claim_lease_seconds: float = 10
    transient_retry: timedelta = timedelta(seconds=5)
    """A timer step that met Kafka or Redis away runs again this much later."""


class Publisher(Protocol):
    async def publish(self, event: Event, *, topic: str | None = None) -> None: ...


class AlongWrites(Protocol):
    """Idempotent writes that can ride on another round trip (queue) or go alone (write)."""

    def queue(self, pipe: Pipeline) -> None: ...

    async def write(self) -> None: ...


class ClaimBusy(TransientError):
    """Another worker holds the publish claim (or died holding it): try again later."""


@dataclass
class Adherence:
    """The service's adapters and configuration, handed to handlers and timer steps."""

    state: State
    timers: Timers
    claims: Claims
    alert_claims: Claims
    """Claims with a long memory: an alert episode can stay open for months."""
    bus: Publisher
    clock: Clock
    ledger: EventLedger
    config: Config = field(default_factory=Config)

    async def publish_once(
        self,
        key: str,
        event: Event,
        *,
        claims: Claims | None = None,
        along: AlongWrites | None = None,
    ) -> bool:
        """Publish under a claim on `key`: True if published now, False if it was before.
        `along`: writes that go with the claim's completion in one round trip (when published
        now; the caller writes them itself otherwise)."""
        claims = claims or self.claims
        claim = await claims.claim(key, lease_seconds=self.config.claim_lease_seconds)
        if claim.state is ClaimState.DONE:
            return False
        if claim.state is ClaimState.IN_PROGRESS:
            raise ClaimBusy(key)
        try:
            await self.bus.publish(event)
        except BaseException:
            await claims.release(key)
            raise
        if along is None:
            await claims.complete(key)
            return True
        try:
            async with self.state.redis.pipeline(transaction=False) as pipe:
                claims.queue_complete(pipe, key)
                along.queue(pipe)
                await pipe.execute()
        except NoScriptError:  # Redis restarted and lost a script: both again, one by one
            await claims.complete(key)
            await along.write()
        return True
