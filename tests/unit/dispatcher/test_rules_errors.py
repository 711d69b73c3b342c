"""Twilio error classification and back-off."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.dispatcher.rules.errors import (
    backoff,
    classify_delivery,
    classify_send_error,
    fault_scope,
)


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (429, 20429, "retry"),
        (429, None, "retry"),
        (500, 20500, "ambiguous"),
        (503, None, "ambiguous"),
        (None, None, "ambiguous"),  # timeout
        (400, 21610, "opted_out"),
        (400, 21211, "invalid_number"),
        (400, 21614, "invalid_number"),
        (400, 30006, "invalid_number"),
        (400, 21612, "route"),  # the sender/recipient pair, not the patient's number
        (400, 21408, "configuration"),  # the account's geographic permissions
        (400, 21606, "configuration"),  # a sender that cannot send SMS
        (401, 20003, "configuration"),  # a rotated (or wrong) auth token
        (401, None, "configuration"),
        (404, 20404, "configuration"),  # a wrong or closed account SID
        (400, 21602, "permanent"),
    ],
)
def test_classify_send_error(status: int | None, code: int | None, outcome: str) -> None:
    assert classify_send_error(http_status=status, code=code) == outcome


@pytest.mark.parametrize(
    ("status", "code", "scope"),
    [
        (401, 20003, "account"),
        (401, None, "account"),
        (404, 20404, "account"),
        (400, 21606, "sender:+15125550100"),
        (400, 21408, "sender:+15125550100"),
        (400, 21612, "sender:+15125550100"),
    ],
)
def test_fault_scope(status: int | None, code: int | None, scope: str) -> None:
    assert fault_scope(code=code, http_status=status, sender="+15125550100") == scope


@pytest.mark.parametrize(
    ("status", "code", "retried", "verdict"),
    [
        ("delivered", None, False, "delivered"),
        ("read", None, False, "delivered"),
        ("sent", None, False, "pending"),
        ("queued", None, False, "pending"),
        ("undelivered", 30003, False, "retry"),  # once
        ("undelivered", 30003, True, "failed"),
        ("undelivered", 30005, False, "failed"),
        ("undelivered", 30006, False, "failed"),
        ("failed", 30007, False, "failed"),
        ("canceled", None, False, "failed"),
    ],
)
def test_classify_delivery(status: str, code: int | None, retried: bool, verdict: str) -> None:
    assert classify_delivery(status=status, error_code=code, retried=retried) == verdict


@given(attempt=st.integers(1, 30), jitter=st.floats(0, 0.999999))
def test_backoff_is_bounded_and_grows(attempt: int, jitter: float) -> None:
    delay = backoff(attempt, base=0.25, cap=8.0, jitter=jitter)
    assert 0 < delay <= 8.0
    ceiling = min(8.0, 0.25 * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling
