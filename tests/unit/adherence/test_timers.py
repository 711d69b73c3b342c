"""The timer kinds are stored exactly as they always were (keys and payloads), so timers pending
across a deploy still fire, and every stored form, the older ones too, parses back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.adherence.timers import (
    DataGap,
    DoseStep,
    GapCheck,
    Horizon,
    Kind,
    LapseCheck,
    RefillDue,
    dose_steps,
    parse,
)
from shared.timers import Timer

DOSE = "plan-1:2026-04-06:08:00"
DUE = datetime(2026, 4, 6, 13, 0, tzinfo=UTC)


def stored(key: str, payload: dict[str, str]) -> Timer:
    return Timer(key=key, payload=payload, generation=1, attempt=1)


@pytest.mark.parametrize(
    ("kind", "key", "payload"),
    [
        (DoseStep(DOSE, "reminder"), f"dose|{DOSE}|reminder", {}),
        (DoseStep(DOSE, "cutoff"), f"dose|{DOSE}|cutoff", {}),
        (DataGap("p-1"), "datagap|p-1", {"kind": "datagap", "patient": "p-1"}),
        (Horizon("plan-1"), "horizon|plan-1", {"kind": "horizon", "plan": "plan-1"}),
        (GapCheck("plan-1"), "gap|plan-1", {"kind": "gap", "plan": "plan-1"}),
        (RefillDue("plan-1"), "refill|plan-1", {"kind": "refill", "plan": "plan-1"}),
        (LapseCheck("plan-1"), "lapse|plan-1", {"kind": "lapse", "plan": "plan-1"}),
    ],
)
def test_each_kind_is_stored_as_before_and_parses_back(
    kind: Kind, key: str, payload: dict[str, str]
) -> None:
    assert kind.at(DUE) == (key, DUE, payload)
    assert parse(stored(key, payload)) == kind


def test_dose_timers_armed_with_a_payload_still_parse() -> None:
    legacy = {"kind": "dose", "dose": DOSE, "step": "followup"}
    assert parse(stored(f"dose|{DOSE}|followup", legacy)) == DoseStep(DOSE, "followup")


def test_a_plan_id_with_bars_keeps_them() -> None:
    assert parse(stored("dose|a|b:2026-04-06:08:00|caregiver", {})) == DoseStep(
        "a|b:2026-04-06:08:00", "caregiver"
    )


@pytest.mark.parametrize(
    ("key", "payload"),
    [("dose|x|nap", {}), ("dose|reminder", {}), ("other|x", {}), ("x", {"kind": "later"})],
)
def test_shapes_nobody_writes_parse_to_none(key: str, payload: dict[str, str]) -> None:
    assert parse(stored(key, payload)) is None


def test_dose_steps_are_the_four_steps() -> None:
    assert [t.step for t in dose_steps(DOSE)] == ["reminder", "followup", "caregiver", "cutoff"]
