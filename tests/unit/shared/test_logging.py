"""Logs carry ids and never PHI."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from shared.events import InboundSmsReceived, PatientEnrolled
from shared.logging import configure_logging, log_context, redact_text
from shared.testing.factories import sample

PHONE = "+15125550143"
NAME = "Rosalind Okafor"
BODY = "I stopped the lithium, feeling awful"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging(stream=buf, level="INFO")
    yield buf
    configure_logging(level="WARNING")


def test_an_event_with_a_phone_a_name_and_a_body_leaves_none_of_them_in_the_log(
    captured: io.StringIO,
) -> None:
    log = logging.getLogger("mtm.test")
    sms = sample(InboundSmsReceived, from_phone=PHONE, body=BODY)
    with log_context(event_id=str(sms.event_id), correlation_id=sms.correlation_id):
        log.info(
            "inbound sms %s from %s",
            sms,
            PHONE,
            extra={"from_phone": PHONE, "patient_name": NAME, "body": BODY, **sms.log_fields()},
        )
        log.info("enrolled %r", sample(PatientEnrolled, phone=PHONE), extra={"display_name": NAME})
        log.warning(
            "raw dump", extra={"event": sms.model_dump(mode="json"), "patient": {"name": NAME}}
        )
        try:
            raise ValueError(f"could not parse {PHONE}")
        except ValueError:
            log.exception("failure for (512) 555-0143 and 512.555.0143")
    out = captured.getvalue()
    for secret in (PHONE, "5125550143", "555-0143", "555.0143", NAME, BODY, "lithium"):
        assert secret not in out, secret
    lines = [json.loads(line) for line in out.splitlines()]
    assert all(line["event_id"] == str(sms.event_id) for line in lines)
    assert all(line["correlation_id"] == "corr-test" for line in lines)
    assert lines[0]["event_type"] == "InboundSmsReceived"


def test_ids_and_times_are_not_mistaken_for_phone_numbers() -> None:
    text = (
        "notification 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b at 2026-03-10T08:00:00Z sid SM"
        + "a" * 32
    )
    assert redact_text(text) == text
