"""The gateway as a real process against the real Kafka and Redis: signed webhooks are published
once, forged or malformed ones never, and a Kafka outage loses nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from redis.asyncio import Redis
from twilio.rest import Client

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, FakeTwilio, LocalTwilioHttpClient
from deploy.local.private_kafka import PrivateKafka
from shared import topics
from shared.admin import ensure_topics, project_topics
from shared.events import InboundSmsReceived, SmsStatusReceived, parse_event, phone_key
from tests.integration.gateway_support import (
    FORM,
    TOKEN,
    gateway_process,
    post_signed,
    read_all,
    signed_headers,
)
from tests.kafka_tools import eventually, read_topic

pytestmark = pytest.mark.integration

SENDER = "+15125550143"
OURS = "+15125550100"
TEXT = "took my 8am dose"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def inbound(sid: str, **overrides: str) -> dict[str, str]:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": DEFAULT_ACCOUNT_SID,
        "From": SENDER,
        "To": OURS,
        "Body": TEXT,
        "NumMedia": "0",
        "SmsStatus": "received",
    }
    return {**params, **overrides}


def sids(records: list[ConsumerRecord[Any, Any]]) -> list[str]:
    return [json.loads(r.value)["message_sid"] for r in records]


async def test_signed_webhooks_are_published_once_and_forged_or_malformed_ones_never(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    sms_sid, status_sid = new_sid(), new_sid()
    status_params = {
        "MessageSid": status_sid,
        "MessageStatus": "delivered",
        "From": OURS,
        "To": SENDER,
    }
    with gateway_process(service_env, tmp_path) as gw:
        await gw.wait_ready()
        async with httpx.AsyncClient(base_url=gw.url, timeout=10) as client:
            posted = [
                await post_signed(client, gw.url, "/twilio/sms", inbound(sms_sid)) for _ in range(3)
            ]
            callbacks = [
                await post_signed(client, gw.url, "/twilio/status", status_params) for _ in range(2)
            ]

            forged_sid = new_sid()
            forged = [
                await post_signed(
                    client, gw.url, "/twilio/sms", inbound(forged_sid), token="not-our-token"
                ),
                await post_signed(
                    client,
                    gw.url,
                    "/twilio/sms",
                    inbound(forged_sid),
                    signed_for="https://sms.other-clinic.example/twilio/sms",
                ),
                await post_signed(
                    client,
                    gw.url,
                    "/twilio/sms",
                    inbound(forged_sid),
                    signed_for=gw.url + "/twilio/status",
                ),
                await post_signed(
                    client,
                    gw.url,
                    "/twilio/sms",
                    inbound(forged_sid, Body="STOP"),
                    signed_params=inbound(forged_sid),
                ),
                await client.post("/twilio/sms", data=inbound(forged_sid)),
            ]

            oversized = inbound(new_sid(), Body="x" * 70_000)
            missing_from = inbound(new_sid())
            del missing_from["From"]
            not_form = json.dumps(inbound(new_sid()))
            malformed = [
                await post_signed(client, gw.url, "/twilio/sms", oversized),
                await client.post(
                    "/twilio/sms",
                    content=not_form,
                    headers=signed_headers(gw.url + "/twilio/sms", {}),
                ),
                await client.post("/twilio/sms", content=not_form, headers={"Content-Type": FORM}),
                await post_signed(client, gw.url, "/twilio/sms", missing_from),
            ]
            metrics = (await client.get("/metrics")).text

    assert [r.status_code for r in posted] == [200, 200, 200]
    assert {r.text for r in posted} == {EMPTY_TWIML}
    assert [r.status_code for r in callbacks] == [200, 200]
    assert [r.status_code for r in forged] == [403] * 5
    assert [r.status_code for r in malformed] == [400] * 4
    assert malformed[0].json() == {"error": "body larger than 65536 bytes"}
    assert malformed[3].json() == {"error": "missing form field: From"}
    assert all("Traceback" not in r.text and SENDER not in r.text for r in forged + malformed)

    [record] = await read_all(kafka, prefix + topics.SMS_INBOUND)
    event = parse_event(topics.SMS_INBOUND, record.value)
    assert isinstance(event, InboundSmsReceived)
    assert (event.message_sid, event.from_phone, event.to_phone, event.body) == (
        sms_sid,
        SENDER,
        OURS,
        TEXT,
    )
    assert record.key == phone_key(SENDER).encode()
    [status_record] = await read_all(kafka, prefix + topics.SMS_STATUS)
    status_event = parse_event(topics.SMS_STATUS, status_record.value)
    assert isinstance(status_event, SmsStatusReceived)
    assert (status_event.message_sid, status_event.status) == (status_sid, "delivered")

    assert 'mtm_gateway_webhooks_total{endpoint="sms",outcome="accepted"} 1.0' in metrics
    assert 'mtm_gateway_webhooks_total{endpoint="sms",outcome="duplicate"} 2.0' in metrics
    assert 'mtm_gateway_webhooks_total{endpoint="sms",outcome="bad_signature"} 5.0' in metrics
    assert 'mtm_gateway_webhooks_total{endpoint="sms",outcome="bad_request"} 4.0' in metrics
    assert 'mtm_gateway_webhooks_total{endpoint="status",outcome="duplicate"} 1.0' in metrics
    assert await redis.exists(f"{namespace}:gateway:claim:inbound:{sms_sid}")
    log = gw.output()
    assert sms_sid in log
    assert SENDER not in log and SENDER[2:] not in log and TEXT not in log


async def test_status_callbacks_from_the_fake_twilio_are_published_once_each(
    kafka: str, prefix: str, service_env: dict[str, str], tmp_path: Path
) -> None:
    with FakeTwilio(auth_token=TOKEN) as fake, gateway_process(service_env, tmp_path) as gw:
        await gw.wait_ready()
        twilio = Client(
            DEFAULT_ACCOUNT_SID, TOKEN, http_client=LocalTwilioHttpClient(fake.base_url)
        )
        message = await asyncio.to_thread(
            twilio.messages.create,
            to=SENDER,
            from_=OURS,
            body="Reminder: 8am dose",
            status_callback=gw.url + "/twilio/status",
        )
        records = await read_topic(kafka, prefix + topics.SMS_STATUS, until=lambda r: len(r) >= 2)
    events = [parse_event(topics.SMS_STATUS, r.value) for r in records]
    statuses = [e for e in events if isinstance(e, SmsStatusReceived)]
    assert len(statuses) == len(events)
    assert [(e.message_sid, e.status) for e in statuses] == [
        (message.sid, "sent"),
        (message.sid, "delivered"),
    ]
    assert [r.key for r in records] == [message.sid.encode()] * 2  # one partition: in order
    assert len(await read_all(kafka, prefix + topics.SMS_STATUS)) == 2


async def test_readiness_follows_kafka_and_an_outage_loses_no_webhook(
    prefix: str, redis: Redis, service_env: dict[str, str], tmp_path: Path
) -> None:
    # `redis` is asked for so that its teardown deletes this test's dedupe keys.
    private = PrivateKafka(tmp_path / "kafka")
    env = {**service_env, "MTM_KAFKA__BOOTSTRAP_SERVERS": private.bootstrap}
    first, second, third = new_sid(), new_sid(), new_sid()
    try:
        # The gateway starts before its Kafka does, as it may in a cluster.
        with gateway_process(env, tmp_path, publish_timeout_seconds="3") as gw:
            async with httpx.AsyncClient(base_url=gw.url, timeout=10) as client:

                async def not_ready() -> bool:
                    try:
                        return (await client.get("/readyz")).status_code == 503
                    except httpx.TransportError:
                        return False

                async def post(sid: str) -> int:
                    return (
                        await post_signed(client, gw.url, "/twilio/sms", inbound(sid))
                    ).status_code

                await eventually(not_ready, message="readyz 503 before Kafka")
                assert (await client.get("/healthz")).status_code == 200
                assert await post(first) == 503

                await asyncio.to_thread(private.start)
                await ensure_topics(private.bootstrap, project_topics(prefix), partitions=3)
                await gw.wait_ready(timeout=60)
                assert await post(first) == 200  # Twilio's retry

                await asyncio.to_thread(private.stop)
                during = [await post(third)]  # maybe before the check noticed: held, then 503
                await eventually(not_ready, message="readyz 503 in the outage")
                assert (await client.get("/healthz")).status_code == 200
                during.append(await post(second))
                assert during == [503, 503]

                await asyncio.to_thread(private.start)
                await gw.wait_ready(timeout=60)
                assert [await post(second), await post(third), await post(first)] == [200, 200, 200]
        records = await read_all(private.bootstrap, prefix + topics.SMS_INBOUND)
        assert sorted(sids(records)) == sorted([first, second, third])
    finally:
        await asyncio.to_thread(private.reset)
