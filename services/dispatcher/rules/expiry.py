"""Expiry: a reminder that can no longer help is suppressed, never sent late."""

from __future__ import annotations

from datetime import datetime


def is_expired(expires_at: datetime | None, at: datetime) -> bool:
    """True when the message would go out at `at` or later than its expiry."""
    return expires_at is not None and at >= expires_at
