"""The escalation's timers, typed: what a stored timer is, how each kind is written, and `fire`.

Keys and payloads are the ones stored since the first release, so pending timers survive a deploy:

* namespace `alerts`, one timer per alert (key = alert id): a `LadderStep` (payload `{"step": N}`)
  fires ladder step N (ladder.py); after an ACK the same timer is the alert's `ResolveCheck`
  (payload `{"unresolved": N}`), the resolve-by check (unresolved.py).
* namespace `digest`, one timer per site (key = site id, payload `{}`): `DigestDue`, the site's
  daily digest (digest.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Self

from services.escalation import outbox as ob
from shared.timers import Timer, TimerKind

log = logging.getLogger("mtm.escalation.timers")

ALERT_TIMERS = "alerts"
DIGEST_TIMERS = "digest"


class _Kind(TimerKind):
    namespace: ClassVar[str]

    def op(self, due: datetime) -> ob.Op:
        """The outbox entry that (re)schedules this timer for `due`."""
        return ob.schedule(self.namespace, self.key, due, self.payload)


@dataclass(frozen=True)
class _AlertStep(_Kind):
    """A timer of one alert, keyed by the alert, its payload `{<field>: step}`."""

    namespace: ClassVar[str] = ALERT_TIMERS
    field: ClassVar[str]
    alert_id: str
    step: int

    @property
    def key(self) -> str:
        return self.alert_id

    @property
    def payload(self) -> dict[str, Any]:
        return {self.field: self.step}

    @property
    def claim(self) -> str:
        return f"alert:{self.alert_id}:{self.field}:{self.step}"

    def next(self) -> Self:
        return replace(self, step=self.step + 1)


@dataclass(frozen=True)
class LadderStep(_AlertStep):
    """Ladder step `step` of an alert is due: page whom the ladder says."""

    field: ClassVar[str] = "step"


@dataclass(frozen=True)
class ResolveCheck(_AlertStep):
    """An acknowledged alert's outcome is due: if still unresolved, remind and re-escalate as
    step `step`."""

    field: ClassVar[str] = "unresolved"


@dataclass(frozen=True)
class DigestDue(_Kind):
    """A site's daily digest of P2/P3 alerts is due."""

    namespace: ClassVar[str] = DIGEST_TIMERS
    site_id: str

    @property
    def key(self) -> str:
        return self.site_id

    @property
    def payload(self) -> dict[str, Any]:
        return {}


Kind = LadderStep | ResolveCheck | DigestDue


def parse(namespace: str, timer: Timer) -> Kind | None:
    """The kind of a stored timer of `namespace`; None for a shape this service never wrote."""
    if namespace == DIGEST_TIMERS:
        return DigestDue(timer.key)
    try:
        if "unresolved" in timer.payload:
            return ResolveCheck(timer.key, int(timer.payload["unresolved"]))
        if "step" in timer.payload:
            return LadderStep(timer.key, int(timer.payload["step"]))
    except (TypeError, ValueError):
        pass
    return None
