"""Deterministic ids: the same business key gives the same UUID in every process, every time.

A service derives the ids of what it publishes (event ids, notification ids, alert ids) from the
business key of the thing (`appt:ap-1:0:20260310T1930Z:d3`, `alert:<id>:step:2`), so an event
re-published after a crash carries the id it had the first time and every consumer drops it as
the duplicate it is. Each service has its own `IdSpace` (its uuid5 namespace and how it joins the
parts of a key); changing either changes every id it derives, so they are fixed forever:

    REMINDER_IDS = IdSpace(UUID("5b0c8f0e-..."), source="reminders")
    REMINDER_IDS.id("event", key)                   # uuid5(namespace, "event:" + key)
    NotificationRequested(**REMINDER_IDS.envelope("event", key, now=now, patient_id=...), ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5


@dataclass(frozen=True)
class IdSpace:
    """One service's uuid5 namespace: `id(*parts)` is uuid5(namespace, prefix + sep.join(parts))."""

    namespace: UUID
    source: str = "mtm"
    """The `source` of the events this service derives (the envelope's)."""
    prefix: str = ""
    sep: str = ":"

    def name(self, *parts: object) -> str:
        """The text an id is derived from."""
        return self.prefix + self.sep.join(str(p) for p in parts)

    def id(self, *parts: object) -> UUID:
        """The id of a business key, the same every time."""
        return uuid5(self.namespace, self.name(*parts))

    def envelope(
        self,
        *parts: object,
        now: datetime,
        correlation_id: str | None = None,
        patient_id: str | None = None,
        site_id: str | None = None,
    ) -> dict[str, Any]:
        """The envelope fields of a derived event: its id from `parts`, the time, this source."""
        return {
            "event_id": self.id(*parts),
            "occurred_at": now,
            "source": self.source,
            "correlation_id": correlation_id,
            "patient_id": patient_id,
            "site_id": site_id,
        }
