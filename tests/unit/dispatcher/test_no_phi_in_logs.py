"""Nothing the dispatcher logs carries a phone number, a message body or a drug (even before
the formatter's redaction, which is the second line of defence)."""

from __future__ import annotations

import logging

import pytest

from shared.logging import JsonFormatter
from tests.unit.dispatcher.conftest import PHONE, Harness, request


async def test_a_busy_conversation_logs_ids_only(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mtm")
    await harness.enroll(consents=["medications", "detailed_content"])
    await harness.publish(request(variables={"time": "08:00", "drug": "lithium"}))
    await harness.text("1")
    await harness.text("what is this")
    await harness.text("ACK 12345")
    await harness.text("STOP I want to die")
    harness.sms.fail_by_number[PHONE] = 21211
    await harness.publish(request())
    raw = JsonFormatter(redact=False)
    lines = [raw.format(r) for r in caplog.records if r.name.startswith("mtm")]
    assert len(lines) > 5
    text = "\n".join(lines)
    for secret in ("5125550143", "lithium", "want to die", "what is this", "medicine"):
        assert secret not in text, secret
    assert "notification_id" in text and "message_sid" in text
