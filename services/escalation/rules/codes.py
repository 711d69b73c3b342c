"""Alert codes: short numbers a clinician replies with ("ACK 4821"), derived from the alert id."""

from __future__ import annotations

from collections.abc import Iterator
from hashlib import sha256

TRIES_PER_LENGTH = 8
LENGTHS = (4, 5, 6)


def candidates(alert_id: str) -> Iterator[str]:
    """The codes to try for an alert, in order: the same alert id always gives the same list.

    Four digits first (no leading zero, so nobody drops one); a code held by another open alert
    moves on to the next candidate, and after a few collisions to five and then six digits."""
    attempt = 0
    for digits in LENGTHS:
        low = 10 ** (digits - 1)
        for _ in range(TRIES_PER_LENGTH):
            value = int(sha256(f"{alert_id}:{attempt}".encode()).hexdigest(), 16)
            attempt += 1
            yield str(low + value % (9 * low))
