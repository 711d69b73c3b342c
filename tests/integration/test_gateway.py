"""The gateway as a real process against the real Kafka and Redis: signed webhooks are published
once, forged or malformed ones never, and a Kafka outage loses nothing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from aiokafka import ConsumerRecord
from redis.asyncio import Redis
from twilio.rest import Client

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, FakeTwilio, LocalTwilioHttpClient
from deploy.local.find_infra import Infra
from deploy.local.private_kafka import PrivateKafka
from services.dispatcher.context import Context as DispatcherContext
from services.dispatcher.settings import DispatcherSettings
from shared import topics
from shared.admin import ensure_topics, project_topics
from shared.events import (
    DoseTaken,
    InboundSmsReceived,
    NotificationRequested,
    PatientEnrolled,
    Recipient,
    ReplyContext,
    SmsStatusReceived,
    parse_event,
    phone_key,
)
from shared.sites import demo_sites
from shared.testing.factories import sample
from tests.integration.dispatcher_procs.support import events_on, known, publish, running, to_number
from tests.integration.gateway_support import (
    FORM,
    TOKEN,
    GatewayProcess,
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


# ------------------------------------------------------------------ inbound edge cases (issue 20)

SHARED_KEY_ID = "webhooks_sharedkey_it01"
SHARED_SECRET = "integration-shared-secret-7c"
SHORT_CODE = "24680"


def twilio_signature(secret: str, url: str, params: dict[str, str], digest: str = "sha1") -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC of the URL as configured, then every
    posted name and value sorted by name, base64."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(
        hmac.new(secret.encode(), data.encode(), getattr(hashlib, digest)).digest()
    ).decode()


async def post_as_twilio(
    client: httpx.AsyncClient,
    target: str,
    params: dict[str, str],
    *,
    signed_url: str,
    secret: str = TOKEN,
    digest: str = "sha1",
    headers: dict[str, str] | None = None,
) -> int:
    signature = twilio_signature(secret, signed_url, params, digest)
    response = await client.post(
        target,
        content=urlencode(params),
        headers={"Content-Type": FORM, "X-Twilio-Signature": signature, **(headers or {})},
    )
    return response.status_code


async def test_short_codes_whatsapp_pictures_shared_keys_and_apostrophes_pass_the_process(
    kafka: str, prefix: str, redis: Redis, service_env: dict[str, str], tmp_path: Path
) -> None:
    accepted = {
        "short_code_to": inbound(new_sid(), To=SHORT_CODE),
        "short_code_from": inbound(new_sid(), From="824680"),
        "sender_id_from": inbound(new_sid(), From="CarrierInfo"),
        "whatsapp": inbound(new_sid(), From="whatsapp:" + SENDER, To="whatsapp:" + OURS),
        "picture_only": inbound(new_sid(), Body="", NumMedia="1", MediaUrl0="https://m.example/1"),
    }
    shared_key = inbound(new_sid())
    apostrophe = inbound(new_sid())
    foreign_key, junk = inbound(new_sid()), inbound(new_sid(), From="12345678")
    settings_header = {
        "X-Twilio-Webhooks-Signature-Settings": f"key={SHARED_KEY_ID},algorithm=HMAC_SHA256"
    }
    keys = json.dumps({SHARED_KEY_ID: SHARED_SECRET})
    with gateway_process(service_env, tmp_path, webhook_shared_keys=keys) as gw:
        await gw.wait_ready()
        sms = gw.url + "/twilio/sms"
        async with httpx.AsyncClient(base_url=gw.url, timeout=10) as client:
            answers = {
                name: await post_as_twilio(client, "/twilio/sms", params, signed_url=sms)
                for name, params in accepted.items()
            }
            answers["shared_key"] = await post_as_twilio(
                client,
                "/twilio/sms",
                shared_key,
                signed_url=sms,
                secret=SHARED_SECRET,
                digest="sha256",
                headers=settings_header,
            )
            # Configured in Twilio with the apostrophe typed; the request line carries %27.
            answers["apostrophe"] = await post_as_twilio(
                client,
                "/twilio/sms?clinic=St+Mary%27s",
                apostrophe,
                signed_url=sms + "?clinic=St+Mary's",
            )
            answers["foreign_key"] = await post_as_twilio(
                client,
                "/twilio/sms",
                foreign_key,
                signed_url=sms,
                secret="someone-elses-secret",
                digest="sha256",
                headers=settings_header,
            )
            answers["junk"] = await post_as_twilio(client, "/twilio/sms", junk, signed_url=sms)
    assert answers == {
        **dict.fromkeys(accepted, 200),
        "shared_key": 200,
        "apostrophe": 200,
        "foreign_key": 403,
        "junk": 400,
    }
    records = await read_all(kafka, prefix + topics.SMS_INBOUND)
    events = {
        e.message_sid: e
        for r in records
        if isinstance(e := parse_event(topics.SMS_INBOUND, r.value), InboundSmsReceived)
    }
    published = {p["MessageSid"] for p in [*accepted.values(), shared_key, apostrophe]}
    assert set(events) == published
    assert events[accepted["short_code_to"]["MessageSid"]].to_phone == SHORT_CODE
    whatsapp = events[accepted["whatsapp"]["MessageSid"]]
    assert whatsapp.from_phone == "whatsapp:" + SENDER and whatsapp.sender == SENDER
    assert events[accepted["picture_only"]["MessageSid"]].media_only
    wa_record = next(
        r for r in records if json.loads(r.value)["message_sid"] == whatsapp.message_sid
    )
    assert wa_record.key == phone_key(SENDER).encode()


# ------------------------------------------------------------------ end to end, with the dispatcher

PLAINS = {
    "name": "Lubbock",
    "display_name": "Plains Health",
    "help_phone": "806-555-0100",
    "zone": "America/Chicago",
    "from_number": SHORT_CODE,
}


@pytest.fixture
async def short_code_dispatcher(
    kafka: str, prefix: str, infra: Infra, namespace: str, fake: FakeTwilio, gateway: GatewayProcess
) -> AsyncIterator[DispatcherContext]:
    """The dispatcher of conftest.py, with one more site that texts from a short code."""
    fake.reset()
    await gateway.wait_ready()
    sites: dict[str, Any] = {k: s.model_dump() for k, s in demo_sites().items()}
    settings = DispatcherSettings(
        env="test",
        sites={**sites, "lubbock": PLAINS},
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        twilio={"account_sid": DEFAULT_ACCOUNT_SID, "auth_token": TOKEN, "base_url": fake.base_url},
        log={"level": "WARNING"},
        dispatcher={
            "status_callback_url": gateway.url + "/twilio/status",
            "backoff_base_seconds": 0.05,
            "ambiguous_settle_seconds": 0.1,
        },
    )
    async with running(settings) as ctx:
        yield ctx


async def _enrol(
    kafka: str, prefix: str, ctx: DispatcherContext, site_id: str, language: str
) -> tuple[str, str]:
    patient_id, phone = f"p-{uuid.uuid4().hex[:8]}", f"+1512555{uuid.uuid4().int % 10000:04d}"
    await publish(
        kafka,
        prefix,
        sample(
            PatientEnrolled,
            patient_id=patient_id,
            phone=phone,
            site_id=site_id,
            zone="America/Chicago",
            language=language,
            consents=["medications"],
            quiet_start="00:00",  # allowed around the clock: the test runs at any hour
            quiet_end="00:00",
        ),
    )
    await known(ctx, "patient", patient_id)
    return patient_id, phone


async def test_a_picture_without_text_is_answered_that_pictures_cannot_be_read(
    kafka: str,
    prefix: str,
    short_code_dispatcher: DispatcherContext,
    gateway: GatewayProcess,
    fake: FakeTwilio,
) -> None:
    patient_id, phone = await _enrol(kafka, prefix, short_code_dispatcher, "austin", "es")
    mms = inbound("MM" + uuid.uuid4().hex, From=phone, Body="", NumMedia="1")
    mms["MediaUrl0"] = "https://api.twilio.com/media/ME1"
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        for _ in range(2):  # Twilio's retry of the same webhook
            assert (await post_signed(client, gateway.url, "/twilio/sms", mms)).status_code == 200
    await eventually(lambda: to_number(fake, phone), timeout=30, message="the answer is sent")
    await asyncio.sleep(1.0)  # a second answer would have come by now
    [answer] = to_number(fake, phone)
    assert answer["from"] == OURS
    assert answer["body"].startswith("Northside Clinic: no podemos leer fotos")
    # Not read as an answer to anything: no dose event for the patient.
    medications = await read_all(kafka, prefix + topics.MEDICATIONS)
    assert all(json.loads(r.value).get("patient_id") != patient_id for r in medications)


async def test_a_reply_to_a_short_code_sender_is_applied(
    kafka: str,
    prefix: str,
    short_code_dispatcher: DispatcherContext,
    gateway: GatewayProcess,
    fake: FakeTwilio,
) -> None:
    patient_id, phone = await _enrol(kafka, prefix, short_code_dispatcher, "lubbock", "en")
    dose_id = f"plan-{patient_id}:2026-03-10:08:00"
    await publish(
        kafka,
        prefix,
        NotificationRequested(
            notification_id=uuid.uuid4(),
            patient_id=patient_id,
            site_id="lubbock",
            recipient=Recipient(kind="patient", id=patient_id),
            template_id="dose_reminder",
            variables={"time": "08:00"},
            category="dose_reminder",
            dedup_key=f"dose:{dose_id}",
            patient_chosen_time=True,
            reply_context=ReplyContext(
                kind="dose", ref=dose_id, extra={"plan_id": f"plan-{patient_id}"}
            ),
        ),
    )
    [reminder] = await eventually(
        lambda: to_number(fake, phone), timeout=30, message="the reminder is sent"
    )
    assert reminder["from"] == SHORT_CODE and reminder["body"].startswith("Plains Health:")
    reply = inbound(new_sid(), From=phone, To=SHORT_CODE, Body="1")
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        assert (await post_signed(client, gateway.url, "/twilio/sms", reply)).status_code == 200
    [taken] = [
        e
        for e in await events_on(
            kafka,
            prefix,
            topics.MEDICATIONS,
            lambda es: any(isinstance(e, DoseTaken) and e.patient_id == patient_id for e in es),
        )
        if isinstance(e, DoseTaken) and e.patient_id == patient_id
    ]
    assert (taken.dose_id, taken.site_id, taken.message_sid) == (
        dose_id,
        "lubbock",
        reply["MessageSid"],
    )
