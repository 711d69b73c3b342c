"""An in-memory SmsSender: the demo's Twilio, and the dispatcher's in the tests that need no
HTTP fake (the real adapter is services/dispatcher/sender.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.dispatcher.sender import Accepted, Found, Outbound, SendFailed, Status


@dataclass
class FakeSms:
    """An in-memory SmsSender for handler tests: `fail` scripts errors for the next sends;
    ("after", status, code) records the message first, as Twilio sometimes does."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    fail_by_number: dict[str, int] = field(default_factory=dict)
    lookups: int = 0
    statuses: dict[str, Status] = field(default_factory=dict)
    """What fetch answers per sid (default: "sent" for a message sent, None for others)."""
    fetch_fails: int = 0
    """The next fetches that fail (Twilio unavailable)."""
    fetches: int = 0

    async def send(self, message: Outbound) -> Accepted:
        if message.to in self.fail_by_number:
            raise SendFailed(http_status=400, code=self.fail_by_number[message.to])
        when, status, code = self.fail.pop(0) if self.fail else ("", None, None)
        if when == "before":
            raise SendFailed(http_status=status, code=code)
        sid = "SM" + uuid.uuid4().hex
        self.sent.append(
            {
                "sid": sid,
                "to": message.to,
                "body": message.body,
                "from": message.from_number,
                "mss": message.messaging_service_sid,
                "created": datetime.now(UTC),
            }
        )
        if when == "after":
            raise SendFailed(http_status=status, code=code)
        return Accepted(sid=sid, status="queued")

    async def find(self, message: Outbound, *, since: datetime) -> list[Found]:
        self.lookups += 1
        return [
            Found(
                sid=m["sid"],
                to=m["to"],
                body=m["body"],
                from_number=m["from"],
                messaging_service_sid=m["mss"],
                created=m["created"],
            )
            for m in self.sent
            if m["to"] == message.to
        ]

    async def fetch(self, sid: str) -> Status | None:
        self.fetches += 1
        if self.fetch_fails > 0:
            self.fetch_fails -= 1
            raise SendFailed(http_status=500, code=20500)
        if sid in self.statuses:
            return self.statuses[sid]
        return Status(sid=sid, status="sent") if any(m["sid"] == sid for m in self.sent) else None

    def bodies(self, to: str | None = None) -> list[str]:
        return [m["body"] for m in self.sent if to is None or m["to"] == to]
