"""`security_event`: one logger, one message, ids only, whatever the caller passes."""

from __future__ import annotations

import logging

import pytest

from shared.logging import REDACTED, SECURITY_LOGGER, security_event


def test_a_security_event_carries_its_kind_and_ids_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=SECURITY_LOGGER):
        security_event(
            "ack_refused",
            service="escalation",
            alert_id="al-1",
            code="4821",
            attempts=2,
            known=False,
            sender="+15125550143",
            note="I want to die",
            name="Dr. Lee",
            message="clash with a LogRecord attribute",
        )
    [record] = caplog.records
    assert (record.name, record.levelname, record.getMessage()) == (
        SECURITY_LOGGER,
        "WARNING",
        "security event",
    )
    fields = record.__dict__
    assert (fields["kind"], fields["service"], fields["security"]) == (
        "ack_refused",
        "escalation",
        True,
    )
    assert (fields["alert_id"], fields["code"], fields["attempts"], fields["known"]) == (
        "al-1",
        "4821",
        2,
        False,
    )
    assert fields["sender"] == fields["note"] == fields["sec_name"] == REDACTED
    assert fields["sec_message"] == REDACTED
