"""The escalation's ids never change: pending pages, notices and audit events re-published after
a deploy must carry the ids they had before it (literals computed before the move to IdSpace)."""

from __future__ import annotations

from uuid import UUID

from services.escalation.rules.messages import IDS


def test_ids_are_the_ones_derived_before() -> None:
    assert IDS.id("page", "al-1", 0, "c-primary") == UUID("6ab9491e-c286-5065-ae08-a4fd0a9744bf")
    assert IDS.id("warning", "no_one_on_call", "al-1:2") == UUID(
        "69f0573d-c5c2-5d01-9a35-53b9d4c550bb"
    )
    assert IDS.id("acknowledged", "al-1") == UUID("98b74b5b-a60b-5afe-9439-6a851618b920")
    assert IDS.id("digest", "austin", "2026-03-10") == UUID("42694c95-6fde-5fdf-b70f-40bda45d4e33")
