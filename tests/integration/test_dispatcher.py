"""The dispatcher against the real Kafka and Redis, texting the fake Twilio over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from deploy.local.fake_twilio import FakeTwilio
from deploy.local.find_infra import Infra
from services.dispatcher.send.store import SendStore
from shared import topics
from shared.clock import FakeClock
from shared.events import (
    ConsentChanged,
    DoseTaken,
    Event,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    NotificationSuppressed,
    PatientEnrolled,
    Recipient,
    ReplyContext,
    SmsStatusReceived,
)
from tests.integration.dispatcher_procs.support import (
    dispatcher_settings,
    drop_topics,
    events_on,
    known,
    publish,
    running,
    to_number,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
async def _drop_topics(kafka: str, prefix: str) -> AsyncIterator[None]:
    yield
    await drop_topics(kafka, prefix)


AUSTIN = "+15125550100"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio()
    twilio.start()
    yield twilio
    twilio.stop()


@pytest.fixture
def env(
    kafka: str, prefix: str, infra: Infra, namespace: str, fake: FakeTwilio, redis: Any
) -> dict[str, Any]:
    fake.reset()
    return {
        "kafka": kafka,
        "prefix": prefix,
        "redis_url": infra.redis_url,
        "namespace": namespace,
        "fake": fake,
    }


def phone() -> str:
    """A fresh valid Austin mobile number, so tests sharing the fake never collide."""
    return f"+1512555{uuid4().int % 10000:04d}"


def enrolled(patient_id: str, number: str, **kw: Any) -> PatientEnrolled:
    fields: dict[str, Any] = {
        "patient_id": patient_id,
        "site_id": "austin",
        "phone": number,
        "zone": "America/Chicago",
        "consents": ["appointments", "medications"],
        **kw,
    }
    return PatientEnrolled(**fields)


def dose_reminder(patient_id: str, **kw: Any) -> NotificationRequested:
    fields: dict[str, Any] = {
        "notification_id": uuid4(),
        "patient_id": patient_id,
        "site_id": "austin",
        "recipient": {"kind": "patient", "id": patient_id},
        "template_id": "dose_reminder",
        "variables": {"time": "08:00"},
        "category": "dose_reminder",
        "dedup_key": f"dose:{patient_id}:{uuid4().hex[:6]}",
        "patient_chosen_time": True,
        "reply_context": {
            "kind": "dose",
            "ref": f"plan-{patient_id}:2026-03-10:08:00",
            "extra": {"plan_id": f"plan-{patient_id}"},
        },
        **kw,
    }
    return NotificationRequested(**fields)


def inbound(number: str, body: str) -> InboundSmsReceived:
    return InboundSmsReceived(
        message_sid="SM" + uuid4().hex,
        from_phone=number,
        to_phone=AUSTIN,
        body=body,
        received_at=datetime.now(UTC),
    )


async def through_twilio(fake: FakeTwilio, number: str, body: str) -> InboundSmsReceived:
    """A text as Twilio hands it on: the fake's keyword handling first (its auto-reply, block or
    unblock), then the event the gateway would publish from its webhook (OptOutType and all)."""
    done = await asyncio.to_thread(fake.inbound, number, AUSTIN, body, url=None)
    params = done["params"]
    return InboundSmsReceived(
        message_sid=params["MessageSid"],
        from_phone=number,
        to_phone=AUSTIN,
        body=body,
        received_at=datetime.now(UTC),
        opt_out_type=params.get("OptOutType"),
    )


def auto_replies(fake: FakeTwilio, number: str) -> list[str]:
    """Twilio's own answers to the number's STOP, START and HELP words."""
    return [r["body"] for r in fake.auto_replies if r["to"] == number]


def of(events: list[Event], cls: type[Any], **match: Any) -> list[Any]:
    return [
        e
        for e in events
        if isinstance(e, cls) and all(getattr(e, k) == v for k, v in match.items())
    ]


async def status_events(env: dict[str, Any], until: Any, timeout: float = 30) -> list[Event]:
    return await events_on(
        env["kafka"], env["prefix"], topics.NOTIFY_STATUS, until, timeout=timeout
    )


async def test_a_reminder_becomes_exactly_one_sms_in_the_right_language(
    env: dict[str, Any],
) -> None:
    number = phone()
    req = dose_reminder("p-es")
    async with running(dispatcher_settings(**env)) as h:
        await publish(env["kafka"], env["prefix"], enrolled("p-es", number, language="es"))
        await known(h, "patient", "p-es")
        await publish(env["kafka"], env["prefix"], req)
        sent = await status_events(env, lambda es: of(es, NotificationSent))
    [sms] = to_number(env["fake"], number)
    assert sms["from"] == AUSTIN
    assert sms["body"] == (
        "Northside Clinic: es hora de su medicina de las 8:00 AM. Responda 1 si "
        "la tomo, 2 si no. Responda STOP para no recibir mas."
    )
    assert of(sent, NotificationSent)[0].message_sid == sms["sid"]


async def test_the_same_request_delivered_three_times_is_one_sms(env: dict[str, Any]) -> None:
    number = phone()
    req = dose_reminder("p-3x")
    async with running(dispatcher_settings(**env)) as h:
        await publish(env["kafka"], env["prefix"], enrolled("p-3x", number))
        await known(h, "patient", "p-3x")
        await publish(env["kafka"], env["prefix"], req, req, req)
        sent = await status_events(env, lambda es: len(of(es, NotificationSent)) >= 3)
    assert len(to_number(env["fake"], number)) == 1
    assert len({e.event_id for e in of(sent, NotificationSent)}) == 1


async def test_an_opted_out_patient_gets_nothing(env: dict[str, Any]) -> None:
    number = phone()
    async with running(dispatcher_settings(**env)) as h:
        await publish(env["kafka"], env["prefix"], enrolled("p-out", number))
        await known(h, "patient", "p-out")
        await publish(
            env["kafka"], env["prefix"], await through_twilio(env["fake"], number, "STOP")
        )
        await events_on(
            env["kafka"], env["prefix"], topics.PATIENTS, lambda es: bool(of(es, ConsentChanged))
        )
        req = dose_reminder("p-out")
        await publish(env["kafka"], env["prefix"], req)
        events = await status_events(
            env, lambda es: of(es, NotificationSuppressed, notification_id=req.notification_id)
        )
    # Twilio confirmed the STOP (default handling); the dispatcher tried nothing after it.
    [confirmation] = auto_replies(env["fake"], number)
    assert "unsubscribed" in confirmation
    assert to_number(env["fake"], number) == []
    assert env["fake"].opt_out["refused"] == []
    [suppressed] = of(events, NotificationSuppressed, notification_id=req.notification_id)
    assert suppressed.reason == "opted_out"


async def test_seattle_reminder_due_at_22h_is_deferred_to_9am_pacific(env: dict[str, Any]) -> None:
    clock = FakeClock(datetime(2026, 3, 11, 5, 0, tzinfo=UTC))  # 22:00 PDT, Tuesday
    number = f"+1206555{uuid4().int % 10000:04d}"
    req = NotificationRequested(
        notification_id=uuid4(),
        patient_id="p-sea",
        site_id="seattle",
        recipient=Recipient(kind="patient", id="p-sea"),
        template_id="appointment_reminder",
        variables={"start": "2026-03-12T18:00:00Z"},
        category="appointment_reminder",
        dedup_key="appt72:ap-sea",
        occurred_at=clock.now(),
        reply_context=ReplyContext(kind="appointment", ref="ap-sea"),
    )
    async with running(dispatcher_settings(**env), clock=clock) as h:
        await publish(
            env["kafka"],
            env["prefix"],
            enrolled("p-sea", number, site_id="seattle", zone="America/Los_Angeles"),
        )
        await known(h, "patient", "p-sea")
        await publish(env["kafka"], env["prefix"], req)
        events = await status_events(env, lambda es: of(es, NotificationSuppressed))
        [deferred] = of(events, NotificationSuppressed)
        assert deferred.reason == "quiet_hours_deferred"
        assert deferred.deferred_until == datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
        assert to_number(env["fake"], number) == []
        clock.set(datetime(2026, 3, 11, 16, 0, tzinfo=UTC))  # 09:00 PDT
        [sms] = await eventually(lambda: to_number(env["fake"], number), message="9am send")
    assert sms["from"] == "+12065550100" and sms["body"].startswith("Sound Health: reminder")


@pytest.mark.parametrize(
    "fault",
    [{"burst_429": 5}, {"fail_5xx_after_record": 1}, {"fail_5xx_before_record": 1}],
    ids=["429-storm", "500-after-record", "500-before-record"],
)
async def test_twilio_faults_end_in_exactly_one_sms(
    env: dict[str, Any], fault: dict[str, int]
) -> None:
    number = phone()
    async with running(dispatcher_settings(**env)) as h:
        await publish(env["kafka"], env["prefix"], enrolled("p-f", number))
        await known(h, "patient", "p-f")
        env["fake"].set_faults(**fault)
        await publish(env["kafka"], env["prefix"], dose_reminder("p-f"))
        events = await status_events(env, lambda es: of(es, NotificationSent))
    [sms] = to_number(env["fake"], number)
    assert of(events, NotificationSent)[0].message_sid == sms["sid"]
    assert env["fake"].faults[next(iter(fault))] == 0  # the fault really happened


async def test_21610_flips_consent(env: dict[str, Any]) -> None:
    number = phone()
    env["fake"].set_faults(error_by_number={number: 21610})
    first, second = dose_reminder("p-21610"), dose_reminder("p-21610")
    async with running(dispatcher_settings(**env)) as h:
        await publish(env["kafka"], env["prefix"], enrolled("p-21610", number))
        await known(h, "patient", "p-21610")
        await publish(env["kafka"], env["prefix"], first)
        consent = await events_on(
            env["kafka"], env["prefix"], topics.PATIENTS, lambda es: bool(of(es, ConsentChanged))
        )
        await publish(env["kafka"], env["prefix"], second)
        events = await status_events(env, lambda es: of(es, NotificationSuppressed))
    [changed] = of(consent, ConsentChanged)
    assert (changed.patient_id, changed.status, changed.channel) == (
        "p-21610",
        "revoked",
        "carrier",
    )
    [failed] = of(events, NotificationFailed)
    assert failed.error_code == 21610 and failed.notification_id == first.notification_id
    assert of(events, NotificationSuppressed)[0].reason == "opted_out"
    assert to_number(env["fake"], number) == []


async def test_delivery_status_is_matched_by_sid(env: dict[str, Any]) -> None:
    number = phone()
    req = dose_reminder("p-dlr")
    async with running(dispatcher_settings(**env)) as h:
        await publish(env["kafka"], env["prefix"], enrolled("p-dlr", number))
        await known(h, "patient", "p-dlr")
        await publish(env["kafka"], env["prefix"], req)
        [sms] = await eventually(lambda: to_number(env["fake"], number), message="sms")
        await eventually(
            lambda: (
                env["fake"].messages and to_number(env["fake"], number)[0]["status"] == "delivered"
            ),
            message="fake delivered it",
        )
        await publish(
            env["kafka"],
            env["prefix"],
            SmsStatusReceived(
                message_sid=sms["sid"], status="delivered", received_at=datetime.now(UTC)
            ),
        )
        events = await status_events(env, lambda es: of(es, NotificationDelivered))
    assert of(events, NotificationDelivered)[0].notification_id == req.notification_id


OPT_OUT_TEXTS = ["STOP", "stop", "Stop please", "REVOKE", "OPT OUT", "no more texts"]
MINE = {"Stop please", "OPT OUT", "no more texts"}
"""The opt-outs Twilio's default handling does not know (it only forwards them)."""


async def test_each_opt_out_wording_revokes_and_help_answers(env: dict[str, Any]) -> None:
    numbers = [phone() for _ in OPT_OUT_TEXTS]
    helper = phone()
    async with running(dispatcher_settings(**env)) as h:
        await publish(
            env["kafka"],
            env["prefix"],
            enrolled("p-help", helper),
            *(enrolled(f"p-stop-{i}", n) for i, n in enumerate(numbers)),
        )
        await known(h, "patient", "p-help", *(f"p-stop-{i}" for i in range(len(numbers))))
        fake = env["fake"]
        await publish(
            env["kafka"],
            env["prefix"],
            await through_twilio(fake, helper, "HELP"),
            *[
                await through_twilio(fake, n, text)
                for n, text in zip(numbers, OPT_OUT_TEXTS, strict=True)
            ],
        )
        consent = await events_on(
            env["kafka"],
            env["prefix"],
            topics.PATIENTS,
            lambda es: len(of(es, ConsentChanged)) >= len(numbers),
        )
        # Twilio's own words (STOP, stop, REVOKE, HELP) it answered itself; the others are ours.
        ours = [n for n, text in zip(numbers, OPT_OUT_TEXTS, strict=True) if text in MINE]
        await eventually(
            lambda: all(to_number(fake, n) for n in ours), message="every confirmation of ours"
        )
        await asyncio.sleep(2)  # room for a second answer that must not come
    revoked = {e.patient_id for e in of(consent, ConsentChanged, status="revoked")}
    assert revoked == {f"p-stop-{i}" for i in range(len(numbers))}
    assert len(of(consent, ConsentChanged)) == len(numbers)
    for n, text in zip(numbers, OPT_OUT_TEXTS, strict=True):
        answers = [m["body"] for m in to_number(fake, n)] + auto_replies(fake, n)
        [answer] = answers  # exactly one confirmation, whoever sent it
        assert "unsubscribed" in answer
        if text in MINE:
            assert "988" in answer
    assert to_number(fake, helper) == []
    [help_text] = auto_replies(fake, helper)
    assert "STOP" in help_text
    assert fake.opt_out["refused"] == []


async def test_reply_1_is_dose_taken_for_that_patient_only(env: dict[str, Any]) -> None:
    mine, theirs = phone(), phone()
    req = dose_reminder("p-mine")
    async with running(dispatcher_settings(**env)) as h:
        await publish(
            env["kafka"], env["prefix"], enrolled("p-mine", mine), enrolled("p-theirs", theirs)
        )
        await known(h, "patient", "p-mine", "p-theirs")
        await publish(env["kafka"], env["prefix"], req)
        await eventually(lambda: to_number(env["fake"], mine), message="reminder sent")
        await publish(env["kafka"], env["prefix"], inbound(theirs, "1"), inbound(mine, "1"))
        events = await events_on(
            env["kafka"], env["prefix"], topics.MEDICATIONS, lambda es: bool(of(es, DoseTaken))
        )
    [taken] = of(events, DoseTaken)
    assert (taken.patient_id, taken.dose_id) == ("p-mine", "plan-p-mine:2026-03-10:08:00")


async def test_a_send_lease_is_renewed_on_real_redis_while_its_worker_lives(
    env: dict[str, Any], redis: Any
) -> None:
    store = SendStore(redis, f"{env['namespace']}:dispatcher")
    key = f"{env['namespace']}:dispatcher:claim:send:n-lease"
    await store.claim("n-lease", lease_seconds=1)
    async with store.lease("n-lease", lease_seconds=1):
        for _ in range(12):  # sample for 2.4 s, well past the 1 s lease
            assert await redis.exists(key)
            await asyncio.sleep(0.2)

    async def gone() -> bool:
        return not await redis.exists(key)

    await eventually(gone, timeout=3, message="the lease lapses once nobody renews it")
