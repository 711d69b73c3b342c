"""The check-in timers read and write the stored form they always had (pending timers survive a
deploy); a shape this service never wrote is dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.symptoms.timers import PlanDue, SessionExpiry, parse
from shared.timers import Timer

PLAN = {"patient": "p-1", "kind": "PHQ-2", "rev": "e-1", "at": "2026-03-02T16:00:00+00:00"}
EXPIRY = {"patient": "p-1", "session": "ci-abc"}


def stored(key: str, payload: dict[str, Any]) -> Timer:
    return Timer(key=key, payload=payload, generation=1, attempt=1)


def test_a_stored_plan_timer() -> None:
    due = parse(stored("plan:p-1:PHQ-2", PLAN))
    assert due == PlanDue("p-1", "PHQ-2", "e-1", datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert (due.key, due.payload()) == ("plan:p-1:PHQ-2", PLAN)


def test_a_stored_expiry_timer() -> None:
    expiry = parse(stored("expire:ci-abc", EXPIRY))
    assert expiry == SessionExpiry("p-1", "ci-abc")
    assert (expiry.key, expiry.payload()) == ("expire:ci-abc", EXPIRY)


def test_unknown_shapes() -> None:
    assert parse(stored("other:p-1", PLAN)) is None
    assert parse(stored("plan:p-1:PHQ-2", {"patient": "p-1"})) is None
    assert parse(stored("plan:p-1:PHQ-2", {**PLAN, "at": "soon"})) is None
