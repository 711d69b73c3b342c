"""What a Twilio error means for a send and how long to back off."""

from __future__ import annotations

from typing import Literal

Outcome = Literal["retry", "ambiguous", "opted_out", "invalid_number", "permanent"]

INVALID_NUMBER_CODES = frozenset({21211, 21612, 21614, 21401, 21407, 30005, 30006})
OPTED_OUT_CODES = frozenset({21610})
RETRY_ONCE_DELIVERY_CODES = frozenset({30003})


def classify_send_error(*, http_status: int | None, code: int | None) -> Outcome:
    """A failed create: 429 is safe to retry, 5xx or no answer may have sent, 4xx is final."""
    if code == 20429 or http_status == 429:
        return "retry"
    if http_status is None or http_status >= 500 or code == 20500:
        return "ambiguous"
    if code in OPTED_OUT_CODES:
        return "opted_out"
    if code in INVALID_NUMBER_CODES:
        return "invalid_number"
    return "permanent"


def classify_delivery(*, status: str, error_code: int | None, retried: bool) -> str:
    """A status callback: delivered, retry (30003 once), failed (permanent), or pending."""
    if status in ("delivered", "read"):
        return "delivered"
    if status in ("undelivered", "failed", "canceled"):
        if error_code in RETRY_ONCE_DELIVERY_CODES and not retried:
            return "retry"
        return "failed"
    return "pending"


def backoff(attempt: int, *, base: float, cap: float, jitter: float) -> float:
    """Exponential back-off with full jitter: attempt 1 waits up to base, then doubles, capped.
    `jitter` is a number in [0, 1) drawn by the caller."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling * (0.5 + jitter / 2)
