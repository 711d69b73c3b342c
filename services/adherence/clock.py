"""Scaled time for integration tests and demos: service time runs `scale` times as fast as real
time from an anchor, so restarted processes agree on what time it is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime


class ScaledClock:
    """now = start + (real now - anchor) * scale; sleeping s service seconds takes s / scale."""

    def __init__(self, *, scale: float, start: datetime, anchor: datetime) -> None:
        if scale <= 0 or start.tzinfo is None or anchor.tzinfo is None:
            raise ValueError("a positive scale and timezone-aware instants are needed")
        self.scale = scale
        self.start = start.astimezone(UTC)
        self.anchor = anchor.astimezone(UTC)

    def now(self) -> datetime:
        return self.start + (datetime.now(UTC) - self.anchor) * self.scale

    def real(self, instant: datetime) -> datetime:
        """The real instant at which service time reaches `instant`."""
        return self.anchor + (instant.astimezone(UTC) - self.start) / self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)
