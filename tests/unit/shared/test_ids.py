"""Derived ids never change: a re-published event must carry the id it had the first time, also
across a deploy. These are the ids the code derived before `shared.ids` existed."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.gateway.rules import EVENT_IDS
from shared.broker import WARNING_IDS
from shared.ids import IdSpace


def test_gateway_webhook_ids_are_the_ones_derived_before() -> None:
    assert EVENT_IDS.id("inbound", "SM123") == UUID("6794fbe0-85a9-5174-b098-991baaeaa0bd")
    assert EVENT_IDS.id("status", "SM123", "delivered") == UUID(
        "867728c9-e1ae-55ae-a591-087ec32a25ca"
    )


def test_safety_lane_warning_id_is_the_one_derived_before() -> None:
    assert WARNING_IDS.id("mtm.sms.inbound", "0:42:grp") == UUID(
        "e9cfe688-de32-55c6-8eee-9160c2a609f6"
    )


def test_prefix_and_separator_shape_the_name() -> None:
    space = IdSpace(UUID(int=1), prefix="svc:", sep="|")
    assert space.name("a", 2, None) == "svc:a|2|None"
    assert space.id("a", 2) != space.id("a|2", "")


def test_envelope_carries_the_derived_id_and_the_source() -> None:
    now = datetime(2026, 3, 8, 9, tzinfo=UTC)
    env = IdSpace(UUID(int=1), source="reminders").envelope("event", "k", now=now, patient_id="p1")
    assert env == {
        "event_id": IdSpace(UUID(int=1)).id("event", "k"),
        "occurred_at": now,
        "source": "reminders",
        "correlation_id": None,
        "patient_id": "p1",
        "site_id": None,
    }
