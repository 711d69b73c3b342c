"""Hypothesis-drawn hostile records (tests/hostile/strategies.py) against the event contracts
and the dead-letter middleware, without Kafka: validation fails cleanly (never another exception),
the reason names no value, and on the in-memory broker every one is dead-lettered while the
valid record after it is handled. The same records run against the real services in
tests/hostile/test_hostile_kafka.py."""

from __future__ import annotations

import json
import re
from typing import Any

from faststream.kafka import KafkaMessage, TestKafkaBroker
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from shared import topics
from shared.broker import MAX_REASON, describe, make_broker, subscriber
from shared.events import _ADAPTERS, TOPIC_EVENTS, PatientEnrolled, PatientsEvent, parse_event
from shared.settings import BaseServiceSettings
from shared.testing.factories import PHONE, sample
from tests.hostile.strategies import BAD_PHONES, Raw, accepted_by, collect, hostile_record

INBOUND = sorted(TOPIC_EVENTS)
E164 = re.compile(r"\+\d{8,15}")


def _union(topic: str) -> TypeAdapter[Any]:
    return _ADAPTERS[topic]  # the adapters parse_event uses


@given(topic=st.sampled_from(INBOUND), data=st.data())
@settings(max_examples=300)
def test_validation_of_hostile_bytes_fails_cleanly_and_names_no_value(
    topic: str, data: st.DataObject
) -> None:
    record: Raw = data.draw(hostile_record(topic))
    value = record.value or b""
    try:
        parse_event(topic, value)
    except ValidationError as exc:
        reason = describe(exc)
    else:  # a mutation that happens to be valid: fine, it is simply an event
        return
    assert len(reason) <= MAX_REASON
    for number in E164.findall(value.decode("utf-8", "replace")):
        assert number not in reason
    # The handler's path (JSON first, then the model) agrees or fails the same clean way.
    [verdict] = accepted_by(record, [_union(topic)])
    assert verdict in (True, False)


@given(event_type=st.sampled_from([PHONE, *BAD_PHONES, "x" * 5000, "Dr. Lee's patient"]))
def test_an_unknown_event_type_is_not_quoted_back(event_type: str) -> None:
    body = {**json.loads(sample(PatientEnrolled).model_dump_json()), "event_type": event_type}
    try:
        parse_event(topics.PATIENTS, body)
    except ValidationError as exc:
        reason = describe(exc)
    assert "event_type" in reason and len(reason) <= MAX_REASON
    if len(event_type) >= 4:
        assert event_type not in reason


@given(key=st.sampled_from([PHONE, "+15125550177", "John Smith"]))
def test_a_free_form_key_holding_a_phone_number_is_redacted_in_the_reason(key: str) -> None:
    from shared.events import NotificationRequested

    body = json.loads(sample(NotificationRequested).model_dump_json())
    body["variables"] = {key: 5}  # a wrong type under a key the sender chose
    try:
        parse_event(topics.NOTIFY_ROUTINE, body)
    except ValidationError as exc:
        reason = describe(exc)
    assert "variables" in reason
    if key.startswith("+"):
        assert key not in reason


async def test_every_hostile_record_is_dead_lettered_in_memory_and_the_next_one_handled() -> None:
    broker = make_broker(
        BaseServiceSettings(kafka={"retry_backoff_seconds": 0.001}), client_id="unit"
    )
    seen: list[str] = []
    dead: list[dict[str, str]] = []

    @subscriber(broker, topics.PATIENTS, group="unit")
    async def on_patient(event: PatientsEvent) -> None:
        seen.append(event.patient_id)

    async def as_is(msg: KafkaMessage) -> Any:  # a dead letter's body is anything at all
        return msg.body

    @broker.subscriber(topics.dlq(topics.PATIENTS), decoder=as_is)
    async def on_dead(body: Any, msg: KafkaMessage) -> None:
        dead.append(dict(msg.headers))

    drawn = collect(hostile_record(topics.PATIENTS), 300)
    bad = [r for r in drawn if not any(accepted_by(r, [_union(topics.PATIENTS)]))]
    good = sample(PatientEnrolled, patient_id="p-after").model_dump(mode="json")
    async with TestKafkaBroker(broker) as br:
        for record in bad:
            await br.publish(record.value or b"", topics.PATIENTS, headers=_text(record))
        await br.publish(good, topics.PATIENTS)
    assert seen == ["p-after"]
    assert len(dead) == len(bad) > 200
    assert all(h["error"] and h["attempt"] == "1" for h in dead)
    assert {h["error_class"] for h in dead} <= {
        "ValidationError",
        "JSONDecodeError",
        "UnicodeDecodeError",
        "RecursionError",
    }


def _text(record: Raw) -> dict[str, str]:
    """The in-memory broker takes text headers only."""
    return {k: v.decode("utf-8", "replace") for k, v in record.headers}
