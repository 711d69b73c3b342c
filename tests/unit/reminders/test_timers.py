"""Timer kinds read and write the stored form unchanged (timers pending across a deploy fire)."""

from __future__ import annotations

from datetime import timedelta

from services.reminders.timers import (
    TIMERS_NAMESPACE,
    Rebook,
    Reminder,
    fire,
    payload,
    read,
    schedule,
    timer_key,
)
from tests.unit.reminders.conftest import T0, Harness


def test_the_stored_form_of_each_kind() -> None:
    assert TIMERS_NAMESPACE == "appointments"
    assert timer_key("ap-1", "d3") == "ap-1:d3"
    assert payload(Reminder("ap-1", "d3", 2)) == {
        "appointment_id": "ap-1",
        "step": "d3",
        "revision": 2,
    }
    assert payload(Rebook("ap-1", 0)) == {"appointment_id": "ap-1", "step": "rebook", "revision": 0}


def test_stored_payloads_read_back_as_their_kind() -> None:
    stored = {"appointment_id": "ap-1", "step": "h2", "revision": 1}
    assert read(stored) == Reminder("ap-1", "h2", 1)
    assert read({"appointment_id": "ap-1", "step": "rebook", "revision": 3}) == Rebook("ap-1", 3)
    assert read({"appointment_id": "ap-1", "step": "d3"}) is None
    assert read({"step": "d3", "revision": 0}) is None


async def test_a_timer_of_an_unknown_shape_is_dropped(h: Harness) -> None:
    ctx = h.service.context
    await ctx.timers.schedule("ap-x:odd", T0, {"what": "else"})
    claimed = await ctx.timers.claim(T0, lease_seconds=30)
    await fire(ctx, claimed[0])
    assert h.sent == []


async def test_a_timer_for_an_unknown_appointment_sends_nothing(h: Harness) -> None:
    await schedule(h.service.context, Reminder("ap-none", "d3", 0), T0 + timedelta(seconds=1))
    assert await h.at(T0 + timedelta(seconds=1)) == []
    assert await h.service.context.timers.pending() == 0
