"""STOP, HELP, RESUME and START as Twilio handles them, in both account modes
(MTM_TWILIO__OPT_OUT_MODE), end to end: a phone texts the fake Twilio, which applies its keyword
handling (auto-reply, block, unblock) and posts the signed webhook to the gateway process, which
publishes to Kafka, which the dispatcher reads; the dispatcher texts back through the fake.

What the patient notices: one confirmation of a STOP and one consent event; one answer to HELP;
RESUME (a word Twilio does not know) changes nothing on either side while Twilio blocks the
number, START reopens both; an opt-out Twilio never saw ("stop texting me please") is confirmed
by the project and blocks nothing at Twilio; no text is ever tried to a number Twilio blocks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4

import pytest

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, FakeTwilio
from deploy.local.fake_twilio.opt_out import STANDARD_TEXTS
from deploy.local.find_infra import Infra
from services.dispatcher.context import Context as DispatcherContext
from services.dispatcher.inbound.keyword_texts import keyword_texts
from services.dispatcher.settings import DispatcherSettings
from shared import topics
from shared.events import (
    ConsentChanged,
    Event,
    InboundSmsReceived,
    NotificationRequested,
    NotificationSent,
    NotificationSuppressed,
    PatientEnrolled,
    parse_event,
    phone_key,
)
from tests.integration.dispatcher_procs.support import drop_topics, known, publish, running
from tests.integration.gateway_support import TOKEN, GatewayProcess, read_all
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

AUSTIN = "+15125550100"
SETTLE_S = 3.0
"""After the last expected effect, how long to wait for an unexpected second one."""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio(auth_token=TOKEN)
    twilio.start()
    yield twilio
    twilio.stop()


@pytest.fixture(params=["twilio_default", "advanced"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def dispatcher(
    kafka: str,
    prefix: str,
    infra: Infra,
    namespace: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    mode: str,
) -> AsyncIterator[DispatcherContext]:
    fake.reset()
    await gateway.wait_ready()
    settings = DispatcherSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        twilio={
            "account_sid": DEFAULT_ACCOUNT_SID,
            "auth_token": TOKEN,
            "base_url": fake.base_url,
            "opt_out_mode": mode,
        },
        log={"level": "WARNING"},
        dispatcher={
            "status_callback_url": gateway.url + "/twilio/status",
            "backoff_base_seconds": 0.05,
            "ambiguous_settle_seconds": 0.1,
        },
    )
    if mode == "advanced":
        # As README "Going to production" says: the account answers with the project's texts.
        fake.set_opt_out(mode="advanced", texts=keyword_texts(settings.dispatcher, "austin")["en"])
    async with running(settings) as ctx:
        yield ctx
    await drop_topics(kafka, prefix)


def phone() -> str:
    return f"+1512555{uuid4().int % 10000:04d}"


def enrolled(patient_id: str, number: str) -> PatientEnrolled:
    return PatientEnrolled(
        patient_id=patient_id,
        site_id="austin",
        phone=number,
        zone="America/Chicago",
        language="en",
        consents=["appointments", "medications"],
    )


def dose_reminder(patient_id: str) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid4(),
        patient_id=patient_id,
        site_id="austin",
        recipient={"kind": "patient", "id": patient_id},  # type: ignore[arg-type]
        template_id="dose_reminder",
        variables={"time": "08:00"},
        category="dose_reminder",
        dedup_key=f"dose:{patient_id}:{uuid4().hex[:6]}",
        patient_chosen_time=True,
    )


async def read(kafka: str, prefix: str, topic: str) -> list[Event]:
    return [parse_event(topic, json.loads(r.value)) for r in await read_all(kafka, prefix + topic)]


async def test_stop_help_resume_start_agree_with_twilio(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    mode: str,
) -> None:
    a, b = phone(), phone()
    assert a != b
    ids = {a: f"p-a-{uuid4().hex[:6]}", b: f"p-b-{uuid4().hex[:6]}"}
    await publish(kafka, prefix, *(enrolled(pid, n) for n, pid in ids.items()))
    await known(dispatcher, "patient", *ids.values())
    webhook = gateway.url + "/twilio/sms"

    async def text(number: str, body: str) -> dict[str, Any]:
        done = await asyncio.to_thread(fake.inbound, number, AUSTIN, body, url=webhook)
        assert done["webhook_status"] == 200, (done, gateway.output()[-2000:])
        return done

    async def consent(number: str) -> list[str]:
        events = await read(kafka, prefix, topics.PATIENTS)
        return [
            e.status
            for e in events
            if isinstance(e, ConsentChanged) and e.patient_id == ids[number]
        ]

    async def ledger(number: str) -> Any:
        return await dispatcher.directory.opt_out_state(phone_key(number))

    def to(number: str) -> list[dict[str, Any]]:
        return [m for m in fake.messages if m["to"] == number]

    def replies(number: str) -> list[str]:
        return [r["keyword"] for r in fake.auto_replies if r["to"] == number]

    # STOP from A: Twilio answers and blocks; the ledger follows, one consent event, no text.
    stop = await text(a, "STOP")
    assert stop["keyword"] == "STOP"
    assert stop["opt_out_type"] == ("STOP" if mode == "advanced" else None)
    await eventually(lambda: consent(a), timeout=30, message="A's consent revoked")
    assert (await ledger(a)).carrier
    # HELP from B: Twilio's answer only. Then an opt-out Twilio never saw: ours to confirm.
    await text(b, "HELP")
    await text(b, "stop texting me please")
    await eventually(lambda: to(b), timeout=30, message="our confirmation to B")
    assert not (await ledger(b)).carrier
    # A reminder to A now: suppressed before Twilio, never refused by it.
    held = dose_reminder(ids[a])
    await publish(kafka, prefix, held)

    async def suppressed() -> bool:
        events = await read(kafka, prefix, topics.NOTIFY_STATUS)
        return any(
            isinstance(e, NotificationSuppressed) and e.notification_id == held.notification_id
            for e in events
        )

    await eventually(suppressed, timeout=30, message="the reminder to A suppressed")
    # RESUME: not a word of Twilio's, so Twilio's block stays; and so does ours.
    await text(a, "RESUME")
    await text(b, "RESUME")  # B was never blocked at Twilio: our opt-in, our confirmation
    await eventually(lambda: len(to(b)) >= 2, timeout=30, message="our opt-in confirmation to B")
    assert await ledger(a) is not None
    assert fake.opt_out["blocked"] == [a]
    # START: Twilio lifts its block and answers; the ledger follows; a reminder goes out.
    await text(a, "START")

    async def reopened() -> bool:
        return await ledger(a) is None

    await eventually(reopened, timeout=30, message="A's opt-out lifted in the ledger")
    sent = dose_reminder(ids[a])
    await publish(kafka, prefix, sent)
    await eventually(lambda: to(a), timeout=30, message="the reminder to A after START")
    await asyncio.sleep(SETTLE_S)

    # One consent event per change, on each side.
    assert await consent(a) == ["revoked", "granted"]
    assert await consent(b) == ["revoked", "granted"]
    # Twilio answered STOP, HELP and START once each; the project answered none of them.
    assert replies(a) == ["STOP", "START"]
    assert replies(b) == ["HELP"]
    [reminder] = to(a)
    assert "medicine" in reminder["body"]
    confirmation, welcome_back = (m["body"] for m in to(b))
    assert "unsubscribed" in confirmation and "988" in confirmation
    assert "again" in welcome_back
    # Nothing was tried to a blocked number.
    assert fake.opt_out["refused"] == []
    assert fake.opt_out["blocked"] == []
    statuses = await read(kafka, prefix, topics.NOTIFY_STATUS)
    assert [
        e.notification_id
        for e in statuses
        if isinstance(e, NotificationSent) and e.notification_id == sent.notification_id
    ] != []
    # What the patient read for STOP: Twilio's standard text, or the project's own (advanced).
    [stop_reply] = [r["body"] for r in fake.auto_replies if r["keyword"] == "STOP"]
    if mode == "advanced":
        assert "988" in stop_reply and stop_reply.startswith("Northside Clinic")
    else:
        assert stop_reply == STANDARD_TEXTS["STOP"]
    # The gateway carried OptOutType (advanced) onto mtm.sms.inbound.
    inbound = [
        e
        for e in await read(kafka, prefix, topics.SMS_INBOUND)
        if isinstance(e, InboundSmsReceived)
    ]
    by_sid = {e.message_sid: e.opt_out_type for e in inbound}
    assert by_sid[stop["message_sid"]] == stop["opt_out_type"]
