"""The symptoms service in-process against the real Kafka and Redis: one alert and one crisis
request per questionnaire, however often it is delivered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from deploy.local.find_infra import Infra
from services.symptoms.app import build
from services.symptoms.settings import SymptomsSettings
from shared import events as ev
from shared import topics
from shared.runtime import Runtime
from shared.testing.factories import sample
from tests.kafka_tools import produce_raw, read_topic

pytestmark = pytest.mark.integration

PATIENT = "p-int-1"


def settings(infra: Infra, kafka: str, prefix: str, namespace: str) -> SymptomsSettings:
    return SymptomsSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
    )


@pytest.fixture
async def service(
    infra: Infra, kafka: str, prefix: str, namespace: str, redis: Redis
) -> AsyncIterator[Runtime]:
    """The symptoms service running in this process, as its app would run it."""
    rt = build(settings(infra, kafka, prefix, namespace)).runtime
    async with rt.lifespan():
        await rt.broker.start()
        try:
            yield rt
        finally:
            await rt.broker.stop()


def phq9(
    response_id: str, values: list[int], *, session_id: str | None = None
) -> ev.QuestionnaireCompleted:
    return sample(
        ev.QuestionnaireCompleted,
        patient_id=PATIENT,
        response_id=response_id,
        channel="sms",
        session_id=session_id,
        occurred_at=datetime.now(UTC) - timedelta(seconds=5),
        answers=[{"item": str(i), "value": v} for i, v in enumerate(values, start=1)],
    )


def decoded(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


async def test_item9_of_two_alerts_once_and_texts_once_however_often_delivered(
    service: Runtime, kafka: str, prefix: str, namespace: str, redis: Redis
) -> None:
    first = phq9("qr-int-1", [1, 2, 0, 1, 0, 0, 1, 0, 2], session_id="s-int-1")
    raw = first.model_dump_json().encode()
    await produce_raw(kafka, prefix + topics.SYMPTOMS, [raw], key=PATIENT.encode())

    alerts = decoded(
        await read_topic(kafka, prefix + topics.ALERTS, until=lambda r: len(r) >= 1, timeout=60)
    )
    assert [(a["rule_id"], a["severity"]) for a in alerts] == [("SYM-PHQ9-ITEM9", "P1")]
    texts = decoded(
        await read_topic(
            kafka, prefix + topics.NOTIFY_URGENT, until=lambda r: len(r) >= 1, timeout=30
        )
    )
    assert len(texts) == 1
    assert (texts[0]["template_id"], texts[0]["category"], texts[0]["priority"]) == (
        "crisis_resources",
        "crisis_resources",
        "urgent",
    )
    assert texts[0]["recipient"] == {"kind": "patient", "id": PATIENT}
    assert texts[0]["dedup_key"] == f"crisis:{alerts[0]['dedup_key']}"

    # Redelivery: the very same record twice more, then a sentinel on the same partition.
    await produce_raw(kafka, prefix + topics.SYMPTOMS, [raw, raw], key=PATIENT.encode())
    sentinel = phq9("qr-int-2", [0, 0, 0, 0, 0, 0, 0, 0, 1], session_id="s-int-2")
    await produce_raw(
        kafka, prefix + topics.SYMPTOMS, [sentinel.model_dump_json().encode()], key=PATIENT.encode()
    )

    def sentinel_seen(records: list[Any]) -> bool:
        return any("s-int-2" in json.loads(r.value)["dedup_key"] for r in records)

    alerts = decoded(
        await read_topic(kafka, prefix + topics.ALERTS, until=sentinel_seen, timeout=60)
    )
    texts = decoded(
        await read_topic(kafka, prefix + topics.NOTIFY_URGENT, until=sentinel_seen, timeout=30)
    )
    firsts = [a for a in alerts if "s-int-1" in a["dedup_key"]]
    assert len(firsts) == 1 and len(alerts) == 2
    assert len([t for t in texts if "s-int-1" in t["dedup_key"]]) == 1 and len(texts) == 2
    state = [k async for k in redis.scan_iter(match=f"{namespace}:symptoms:*")]
    assert state  # the service's state lives under this test's namespace
