"""What a Twilio error means for a send and how long to back off.

A configuration fault is ours to fix, not the patient's: the request never reached a carrier,
so the notification is held and tried again once the configuration is right (never failed,
never charged to the number). Our reading of Twilio's codes:

- 20003 (HTTP 401) "Authenticate": the account SID / auth token pair is refused, as after a
  token rotation the dispatcher has not picked up (or a suspended account).
- 20404 (HTTP 404) on a create: the account in the URL does not exist for these credentials (a
  wrong or closed account SID).
- 21606: the `From` is not a message-capable Twilio number of this account for the destination
  (a released number, a voice-only number, a sender not in the account).
- 21408: SMS to the region of the `To` number is not enabled (the account's geographic
  permissions), a setting of the account, not a property of the patient's number.
- 21612: the `To` is not reachable *from this sender*: Twilio cannot route this sender/recipient
  pair (a toll-free or short-code sender a carrier does not accept, a sender not allowed for the
  destination). It says nothing about the patient's number on its own, so it no longer marks the
  number invalid; it is a "route" fault: another sender may get through.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal[
    "retry", "ambiguous", "configuration", "route", "opted_out", "invalid_number", "permanent"
]

INVALID_NUMBER_CODES = frozenset({21211, 21614, 21401, 21407, 30005, 30006})
OPTED_OUT_CODES = frozenset({21610})
RETRY_ONCE_DELIVERY_CODES = frozenset({30003})
ACCOUNT_CODES = frozenset({20003, 20404})
"""Refusals of the credentials or the account: every sender of the account is refused."""
CONFIGURATION_CODES = ACCOUNT_CODES | {21606, 21408}
ROUTE_CODES = frozenset({21612})


def classify_send_error(*, http_status: int | None, code: int | None) -> Outcome:
    """A failed create: 429 is safe to retry, 5xx or no answer may have sent, a refused
    configuration (credentials, account, sender) is held, other 4xx are final."""
    if code == 20429 or http_status == 429:
        return "retry"
    if http_status is None or http_status >= 500 or code == 20500:
        return "ambiguous"
    if http_status in (401, 404) or code in CONFIGURATION_CODES:
        return "configuration"
    if code in ROUTE_CODES:
        return "route"
    if code in OPTED_OUT_CODES:
        return "opted_out"
    if code in INVALID_NUMBER_CODES:
        return "invalid_number"
    return "permanent"


def fault_scope(*, code: int | None, http_status: int | None, sender: str) -> str:
    """What a configuration or route fault is about: the whole account (credentials, account
    SID) or one sender. One OperationalWarning is raised per scope and code, and only a
    sender's fault can be worked around by another sender of the same account."""
    if http_status in (401, 404) or code in ACCOUNT_CODES:
        return "account"
    return f"sender:{sender}"


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
