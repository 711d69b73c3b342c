"""Derived ids never change: a replayed step must publish the event id it had the first time,
also across a deploy. These are the ids the dispatcher derived before `shared.ids` existed."""

from __future__ import annotations

from uuid import UUID

from services.dispatcher.context import IDS


def test_crisis_alert_id_is_the_one_derived_before() -> None:
    assert IDS.id("SMabc", "crisis", "p-1") == UUID("489de11e-c2b7-5533-9831-00dfa2b74f22")


def test_sent_event_id_is_the_one_derived_before() -> None:
    assert IDS.id("send-key-1", "sent") == UUID("840a2bc0-689d-5590-abda-1b5586149bf6")


def test_consent_and_failed_ids_are_the_ones_derived_before() -> None:
    assert IDS.id("consent", "SMx", "revoked", "p-1", "all") == UUID(
        "9bd118ce-798c-5998-afe1-9a40895ffcc8"
    )
    assert IDS.id("k", "failed", None) == UUID("eedbd2d0-ffd9-5600-b3d6-8a4f905c83dc")
