"""The stored form of every timer kind is the one written before timers were typed: a timer
pending across a deploy is read back as what it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.escalation.timers import (
    ALERT_TIMERS,
    DIGEST_TIMERS,
    DigestDue,
    Kind,
    LadderStep,
    ResolveCheck,
    parse,
)
from shared.timers import Timer

AT = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def stored(key: str, payload: dict[str, object]) -> Timer:
    return Timer(key=key, payload=payload, generation=0, attempt=1)


@pytest.mark.parametrize(
    ("kind", "namespace", "key", "payload"),
    [
        (LadderStep("al-1", 2), ALERT_TIMERS, "al-1", {"step": 2}),
        (ResolveCheck("al-1", 3), ALERT_TIMERS, "al-1", {"unresolved": 3}),
        (DigestDue("austin"), DIGEST_TIMERS, "austin", {}),
    ],
)
def test_each_kind_is_written_and_read_as_before(
    kind: Kind, namespace: str, key: str, payload: dict[str, object]
) -> None:
    assert kind.op(AT) == {
        "op": "schedule",
        "timers": namespace,
        "key": key,
        "due": AT.isoformat(),
        "payload": payload,
    }
    assert parse(namespace, stored(key, payload)) == kind


def test_claims_are_the_step_claims_of_before() -> None:
    assert LadderStep("al-1", 2).claim == "alert:al-1:step:2"
    assert ResolveCheck("al-1", 3).claim == "alert:al-1:unresolved:3"
    assert LadderStep("al-1", 2).next() == LadderStep("al-1", 3)


@pytest.mark.parametrize("payload", [{}, {"step": "x"}, {"other": 1}])
def test_an_alert_timer_of_no_known_shape_is_not_parsed(payload: dict[str, object]) -> None:
    assert parse(ALERT_TIMERS, stored("al-1", payload)) is None
