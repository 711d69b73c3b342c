"""The dispatcher's timers, typed: what each kind stores (key and payload, exactly as stored
before these types existed, so timers pending across a deploy still fire) and how one fires.

- `Resubmit` (`resubmit:<send key>`): a deferred request (quiet hours, `not_before`, an unknown
  recipient), a send held for a Twilio configuration fault (send/config_faults.py) or the single
  30003 retry; the stored request runs again, rules and all.
- `StatusRecheck` (`status:<sid>:<status>`): a final status callback that came before our own
  record of the SID; it is handled again, up to `status.RECHECKS` times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dispatcher.context import Context
from shared.timers import Timer

log = logging.getLogger("mtm.dispatcher")


@dataclass(frozen=True)
class Resubmit:
    """Run the stored request of send `key` again (attempt 1 is the single 30003 retry)."""

    key: str
    urgent: bool
    attempt: int = 0

    @property
    def timer_key(self) -> str:
        return f"resubmit:{self.key}"

    def payload(self) -> dict[str, Any]:
        return {"kind": "resubmit", "key": self.key, "attempt": self.attempt, "urgent": self.urgent}


@dataclass(frozen=True)
class StatusRecheck:
    """A final status for a SID not yet on record, looked at again (`recheck` of RECHECKS)."""

    sid: str
    status: str
    code: int | None
    recheck: int

    @property
    def timer_key(self) -> str:
        return f"status:{self.sid}:{self.status}"

    def payload(self) -> dict[str, Any]:
        return {
            "kind": "status",
            "sid": self.sid,
            "status": self.status,
            "code": self.code,
            "recheck": self.recheck,
        }


Kind = Resubmit | StatusRecheck


def parse(timer: Timer) -> Kind | None:
    """The kind of a stored timer; None for a shape no version of the dispatcher wrote."""
    p = timer.payload
    if p.get("kind") == "status":
        if "sid" not in p or "status" not in p:
            return None
        return StatusRecheck(
            sid=str(p["sid"]),
            status=str(p["status"]),
            code=p.get("code"),
            recheck=int(p.get("recheck", 1)),
        )
    if "key" not in p:
        return None
    return Resubmit(
        key=str(p["key"]), urgent=bool(p.get("urgent")), attempt=int(p.get("attempt", 0))
    )


async def schedule(ctx: Context, kind: Kind, due: datetime) -> None:
    await ctx.timers.schedule(kind.timer_key, due, kind.payload())
