"""Symptoms and the dispatcher in-process on the real Kafka and Redis, texting the fake Twilio:
a PHQ-9 with item 9 = 2 is one P1 alert and one crisis text, however often it is delivered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from deploy.local.fake_twilio import FakeTwilio
from deploy.local.find_infra import Infra
from services.symptoms.app import build
from services.symptoms.settings import SymptomsSettings
from shared import events as ev
from shared import topics
from shared.runtime import Runtime
from shared.testing.factories import sample
from tests.integration.dispatcher_procs.support import (
    dispatcher_settings,
    publish,
    running,
    to_number,
)
from tests.kafka_tools import eventually, read_topic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio()
    twilio.start()
    yield twilio
    twilio.stop()


@pytest.fixture
async def symptoms(
    infra: Infra, kafka: str, prefix: str, namespace: str, redis: Any
) -> AsyncIterator[Runtime]:
    rt = build(
        SymptomsSettings(
            env="test",
            kafka={
                "bootstrap_servers": kafka,
                "topic_prefix": prefix,
                "retry_backoff_seconds": 0.05,
            },
            redis={"url": infra.redis_url, "namespace": namespace},
        )
    ).runtime
    async with rt.lifespan():
        await rt.broker.start()
        try:
            yield rt
        finally:
            await rt.broker.stop()


def phq9(patient_id: str, session_id: str, item9: int) -> ev.QuestionnaireCompleted:
    values = [1, 2, 0, 1, 0, 0, 1, 0, item9]
    return sample(
        ev.QuestionnaireCompleted,
        patient_id=patient_id,
        response_id=f"qr-{session_id}",
        session_id=session_id,
        channel="sms",
        site_id="austin",
        occurred_at=datetime.now(UTC) - timedelta(seconds=5),
        answers=[{"item": str(i), "value": v} for i, v in enumerate(values, start=1)],
    )


async def test_item9_is_one_alert_and_one_crisis_text_at_twilio(
    symptoms: Runtime, infra: Infra, kafka: str, prefix: str, namespace: str, fake: FakeTwilio
) -> None:
    fake.reset()
    patient, number = f"p-{uuid4().hex[:8]}", f"+1512555{uuid4().int % 10000:04d}"
    settings = dispatcher_settings(
        kafka=kafka, prefix=prefix, redis_url=infra.redis_url, namespace=namespace, fake=fake
    )
    async with running(settings):
        await publish(
            kafka,
            prefix,
            sample(
                ev.PatientEnrolled,
                patient_id=patient,
                phone=number,
                site_id="austin",
                zone="America/Chicago",
            ),
        )
        first = phq9(patient, "s-e2e-1", item9=2)
        await publish(kafka, prefix, first)
        [sms] = await eventually(
            lambda: to_number(fake, number),
            timeout=60,
            message="the crisis text at the fake Twilio",
        )
        assert "988" in sms["body"] and "911" in sms["body"]

        # The same questionnaire twice more, then a sentinel (new session) behind it on the same
        # partitions: once the sentinel's text is sent, the redeliveries have been handled.
        await publish(kafka, prefix, first, first)
        await publish(kafka, prefix, phq9(patient, "s-e2e-2", item9=1))
        requests = [
            json.loads(r.value)
            for r in await read_topic(
                kafka,
                prefix + topics.NOTIFY_URGENT,
                timeout=60,
                until=lambda rs: any("s-e2e-2" in json.loads(r.value)["dedup_key"] for r in rs),
            )
        ]
        sentinel = next(r["notification_id"] for r in requests if "s-e2e-2" in r["dedup_key"])
        await read_topic(
            kafka,
            prefix + topics.NOTIFY_STATUS,
            timeout=60,
            until=lambda rs: any(
                json.loads(r.value)["event_type"] == "NotificationSent"
                and json.loads(r.value)["notification_id"] == sentinel
                for r in rs
            ),
        )
        alerts = [
            json.loads(r.value)
            for r in await read_topic(
                kafka,
                prefix + topics.ALERTS,
                timeout=30,
                until=lambda rs: any("s-e2e-2" in json.loads(r.value)["dedup_key"] for r in rs),
            )
        ]

    assert len(to_number(fake, number)) == 2  # one per session, none for the redeliveries
    assert len([r for r in requests if "s-e2e-1" in r["dedup_key"]]) == 1
    item9 = [(a["rule_id"], a["severity"]) for a in alerts if "s-e2e-1" in a["dedup_key"]]
    assert item9 == [("SYM-PHQ9-ITEM9", "P1")]
