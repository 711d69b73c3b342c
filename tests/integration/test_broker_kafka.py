"""The project's broker against the real Kafka: every event round-trips, foreign producers are
understood, bad records are dead-lettered and the consumer moves on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import topics
from shared.broker import EventBus, make_broker, subscriber
from shared.events import (
    TOPIC_EVENTS,
    Event,
    PatientEnrolled,
    PatientsEvent,
    parse_event,
)
from shared.settings import BaseServiceSettings
from shared.testing.factories import every_event, sample
from tests.kafka_tools import eventually, produce_raw, read_all, read_topic

pytestmark = pytest.mark.integration


def _settings(kafka: str, prefix: str) -> BaseServiceSettings:
    s = BaseServiceSettings(
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05}
    )
    return s


async def test_every_event_type_round_trips_through_kafka(kafka: str, prefix: str) -> None:
    broker = make_broker(_settings(kafka, prefix), client_id="roundtrip")
    received: dict[str, Event] = {}

    def collect(topic: str) -> Any:
        async def handler(body: dict[str, Any]) -> None:
            event = parse_event(topic, body)
            received[event.event_type] = event

        return handler

    for topic in TOPIC_EVENTS:
        subscriber(broker, prefix + topic, group=f"roundtrip-{topic}")(collect(topic))
    sent = every_event()
    async with broker:
        await broker.start()
        bus = EventBus(broker, prefix=prefix)
        for event in sent:
            await bus.publish(event)
        await eventually(
            lambda: len(received) == len(sent), timeout=60, message="all 40 event types received"
        )
    for event in sent:
        assert received[event.event_type] == event, event.event_type


async def test_a_plain_aiokafka_json_record_is_accepted(kafka: str, prefix: str) -> None:
    broker = make_broker(_settings(kafka, prefix), client_id="plain")
    got: list[PatientEnrolled] = []

    @subscriber(broker, prefix + topics.PATIENTS, group="plain")
    async def on_patient(event: PatientsEvent) -> None:
        got.append(event)

    enrolled = sample(PatientEnrolled, patient_id="p-plain")
    body = json.dumps(
        json.loads(enrolled.model_dump_json())
    ).encode()  # no content-type header at all
    async with broker:
        await broker.start()
        await produce_raw(kafka, prefix + topics.PATIENTS, [body], key=b"p-plain")
        await eventually(lambda: got, message="record from plain producer handled")
    assert got == [enrolled]
    assert isinstance(got[0], PatientEnrolled)


async def test_bad_records_go_to_the_dlq_and_the_next_record_is_processed(
    kafka: str, prefix: str
) -> None:
    broker = make_broker(_settings(kafka, prefix), client_id="dlq")
    handled: list[str] = []

    @subscriber(broker, prefix + topics.PATIENTS, group="dlq")
    async def on_patient(event: PatientsEvent) -> None:
        handled.append(event.patient_id)

    good = sample(PatientEnrolled, patient_id="p-good").model_dump_json().encode()
    schema_invalid = json.dumps(
        {**json.loads(good), "phone": 5125550143, "zone": "Mars/Olympus"}
    ).encode()
    unknown_type = json.dumps({**json.loads(good), "event_type": "PatientTeleported"}).encode()
    bad = [b'{"event_type": "PatientEnrolled", "patient_id": ', schema_invalid, unknown_type]
    async with broker:
        await broker.start()
        # one key: all records on one partition, in this order
        await produce_raw(kafka, prefix + topics.PATIENTS, [*bad, good], key=b"p-same")
        await eventually(lambda: handled, timeout=30, message="the valid record after the bad ones")
    assert handled == ["p-good"]
    dead = await read_topic(
        kafka, topics.dlq(prefix + topics.PATIENTS), until=lambda r: len(r) >= 3
    )
    assert [r.value for r in dead] == bad
    headers = [dict((k, v.decode()) for k, v in r.headers) for r in dead]
    originals = await read_topic(kafka, prefix + topics.PATIENTS, until=lambda r: len(r) >= 4)
    for h, original in zip(headers, originals, strict=False):
        assert h["original_topic"] == prefix + topics.PATIENTS
        assert h["original_partition"] == str(original.partition)
        assert h["original_offset"] == str(original.offset)
        assert h["attempt"] == "1"
        assert h["error"]
    assert (
        headers[0]["error_class"] == "ValidationError"
    )  # bytes that are not JSON fail the event schema
    assert "phone" in headers[1]["error"] and "zone" in headers[1]["error"]
    assert "5125550143" not in headers[1]["error"]  # the reason names fields, never values
    assert "PatientTeleported" in headers[2]["error"] or "event_type" in headers[2]["error"]


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_n_attempts(
    kafka: str, prefix: str
) -> None:
    settings = _settings(kafka, prefix)
    broker = make_broker(settings, client_id="poison")
    attempts: dict[str, int] = {}

    @subscriber(broker, prefix + topics.PATIENTS, group="poison")
    async def on_patient(event: PatientsEvent) -> None:
        attempts[event.patient_id] = attempts.get(event.patient_id, 0) + 1
        if event.patient_id == "p-poison":
            raise RuntimeError("downstream bug")

    poison = sample(PatientEnrolled, patient_id="p-poison").model_dump_json().encode()
    after = sample(PatientEnrolled, patient_id="p-after").model_dump_json().encode()
    async with broker:
        await broker.start()
        await produce_raw(kafka, prefix + topics.PATIENTS, [poison, after], key=b"k")
        await eventually(lambda: "p-after" in attempts, message="record after the poison one")
    assert attempts == {"p-poison": settings.kafka.dlq_after_attempts, "p-after": 1}
    dead = await read_topic(
        kafka, topics.dlq(prefix + topics.PATIENTS), until=lambda r: len(r) >= 1
    )
    h = dict((k, v.decode()) for k, v in dead[0].headers)
    assert h["error_class"] == "RuntimeError"
    assert h["attempt"] == str(settings.kafka.dlq_after_attempts)
    assert dead[0].value == poison


async def test_an_outage_makes_the_consumer_wait_and_reread_not_dead_letter(
    kafka: str, prefix: str
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    settings = _settings(kafka, prefix)
    settings.kafka.dlq_after_attempts = 2
    broker = make_broker(settings, client_id="outage")
    calls: list[str] = []

    @subscriber(broker, prefix + topics.PATIENTS, group="outage")
    async def on_patient(event: PatientsEvent) -> None:
        calls.append(event.patient_id)
        if event.patient_id == "p-first" and calls.count("p-first") <= 4:
            raise RedisConnectionError(
                "Connection refused"
            )  # Redis restarting: more than N attempts

    records = [
        sample(PatientEnrolled, patient_id=p).model_dump_json().encode()
        for p in ("p-first", "p-second")
    ]
    async with broker:
        await broker.start()
        await produce_raw(kafka, prefix + topics.PATIENTS, records, key=b"same-partition")
        await eventually(
            lambda: "p-second" in calls, timeout=30, message="second record after the outage"
        )
    assert calls == ["p-first"] * 5 + [
        "p-second"
    ]  # re-read in order, the outage outlasting N attempts
    assert await read_all(kafka, topics.dlq(prefix + topics.PATIENTS)) == []
    assert len(await read_all(kafka, prefix + topics.PATIENTS)) == 2
