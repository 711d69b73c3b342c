"""Dead-lettering and retries in the broker middleware, on FastStream's in-memory broker."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.kafka import KafkaMessage, TestKafkaBroker
from redis.exceptions import ConnectionError as RedisConnectionError

from shared import topics
from shared.broker import InvalidEvent, make_broker, subscriber
from shared.events import PatientEnrolled, PatientsEvent
from shared.settings import BaseServiceSettings
from shared.testing.factories import sample


@pytest.fixture
def setup() -> Any:
    settings = BaseServiceSettings(kafka={"retry_backoff_seconds": 0.001, "dlq_after_attempts": 3})
    broker = make_broker(settings, client_id="unit")
    seen: list[str] = []
    dead: list[tuple[bytes, dict[str, str]]] = []
    behaviour: dict[str, Any] = {}

    @subscriber(broker, topics.PATIENTS, group="unit")
    async def on_patient(event: PatientsEvent) -> None:
        seen.append(event.patient_id)
        action = behaviour.get(event.patient_id)
        if callable(action):
            action()

    @broker.subscriber(topics.dlq(topics.PATIENTS))
    async def on_dead(body: Any, msg: KafkaMessage) -> None:
        dead.append((msg.body, {k: v for k, v in msg.headers.items()}))

    return broker, seen, dead, behaviour


def _enrolled(pid: str) -> dict[str, Any]:
    return sample(PatientEnrolled, patient_id=pid).model_dump(mode="json")


async def test_invalid_records_are_dead_lettered_once_and_the_next_is_handled(setup: Any) -> None:
    broker, seen, dead, _ = setup
    async with TestKafkaBroker(broker) as br:
        await br.publish(b"\xff\xfe not utf-8", topics.PATIENTS)
        await br.publish({"event_type": "PatientEnrolled", "patient_id": "p-x"}, topics.PATIENTS)
        await br.publish({**_enrolled("p-y"), "event_type": "Unheard"}, topics.PATIENTS)
        await br.publish(_enrolled("p-ok"), topics.PATIENTS)
    assert seen == ["p-ok"]
    assert len(dead) == 3
    assert dead[0][0] == b"\xff\xfe not utf-8"
    for _, headers in dead:
        assert headers["original_topic"] == topics.PATIENTS
        assert headers["attempt"] == "1"
        assert headers["error_class"] == "ValidationError"
    assert "site_id" in dead[1][1]["error"]


async def test_a_flaky_handler_is_retried_and_not_dead_lettered(setup: Any) -> None:
    broker, seen, dead, behaviour = setup
    failures = iter([RuntimeError("once"), RuntimeError("twice")])

    def flaky() -> None:
        error = next(failures, None)
        if error:
            raise error

    behaviour["p-flaky"] = flaky
    async with TestKafkaBroker(broker) as br:
        await br.publish(_enrolled("p-flaky"), topics.PATIENTS)
    assert seen == ["p-flaky"] * 3
    assert dead == []


async def test_a_semantic_rejection_is_dead_lettered_without_retries(setup: Any) -> None:
    broker, seen, dead, behaviour = setup

    def reject() -> None:
        raise InvalidEvent("appointment starts before it was booked")

    behaviour["p-bad"] = reject
    async with TestKafkaBroker(broker) as br:
        await br.publish(_enrolled("p-bad"), topics.PATIENTS)
    assert seen == ["p-bad"]
    assert dead[0][1]["error"] == "appointment starts before it was booked"
    assert dead[0][1]["error_class"] == "InvalidEvent"


async def test_an_infrastructure_outage_is_never_dead_lettered(setup: Any) -> None:
    broker, seen, dead, behaviour = setup

    def redis_down() -> None:
        raise RedisConnectionError("Connection refused")

    behaviour["p-wait"] = redis_down
    async with TestKafkaBroker(broker) as br:
        await br.publish(_enrolled("p-wait"), topics.PATIENTS)
    assert seen == [
        "p-wait"
    ]  # in memory there is no re-read; against Kafka the record is read again
    assert dead == []
