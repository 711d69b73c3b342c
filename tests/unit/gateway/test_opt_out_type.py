"""OptOutType (Twilio Advanced Opt-Out) read into InboundSmsReceived.opt_out_type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.gateway.rules import inbound_event

FIELDS = {
    "MessageSid": "SM" + "a" * 32,
    "From": "+15125550143",
    "To": "+15125550100",
    "Body": "STOP",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("STOP", "STOP"), ("START", "START"), ("HELP", "HELP"), ("help", "HELP"), ("", None)],
)
def test_opt_out_type_is_read(value: str, expected: str | None) -> None:
    event = inbound_event({**FIELDS, "OptOutType": value}, received_at=datetime.now(UTC))
    assert event.opt_out_type == expected


def test_no_opt_out_type_and_an_unknown_one_are_none() -> None:
    now = datetime.now(UTC)
    assert inbound_event(FIELDS, received_at=now).opt_out_type is None
    # A value Twilio may add one day is left out, not refused: the text still gets read.
    assert inbound_event({**FIELDS, "OptOutType": "PAUSE"}, received_at=now).opt_out_type is None
