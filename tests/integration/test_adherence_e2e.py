"""Adherence and the dispatcher together, against the real Kafka and Redis and the fake Twilio
over HTTP: dose reminders arrive as SMS, a `1` reply closes the first dose, the second gets one
follow-up SMS and then becomes missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from deploy.local.fake_twilio import FakeTwilio
from deploy.local.find_infra import Infra
from shared import topics
from shared.events import InboundSmsReceived, MedicationPlanStarted, PatientEnrolled
from shared.testing.factories import sample
from tests.integration.adherence_procs.support import (
    events_on,
    publish,
    scaled_time,
    settings_for,
)
from tests.integration.dispatcher_procs.support import dispatcher_settings
from tests.integration.dispatcher_procs.support import running as dispatcher_running
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

AUSTIN = "+15125550100"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio()
    twilio.start()
    yield twilio
    twilio.stop()


async def test_reminders_reply_follow_up_and_missed_dose_through_the_dispatcher(
    kafka: str,
    prefix: str,
    infra: Infra,
    namespace: str,
    redis: Any,
    fake: FakeTwilio,
) -> None:
    chicago = ZoneInfo("America/Chicago")
    day = datetime.now(chicago).date() + timedelta(days=1)
    start = datetime.combine(day, datetime.min.time().replace(hour=7, minute=57), chicago)
    # 1 real second = 30 service minutes: doses 24 s apart, follow-up 10 s after a reminder.
    anchor = datetime.now(UTC) + timedelta(seconds=3)
    env = {"kafka": kafka, "prefix": prefix, "redis_url": infra.redis_url, "namespace": namespace}
    adherence = settings_for(
        **env,
        followup_frequent_minutes=300,
        window_frequent_minutes=240,
        sim={"scale": 1800, "start": start.isoformat(), "anchor": anchor.isoformat()},
    )
    number = f"+1512555{uuid4().int % 10000:04d}"
    enrolled = PatientEnrolled(
        patient_id="p-e2e",
        site_id="austin",
        phone=number,
        zone="America/Chicago",
        consents=["medications"],
    )
    plan = sample(
        MedicationPlanStarted,
        patient_id="p-e2e",
        plan_id="plan-e2e",
        drug="lithium",
        drug_class="lithium",
        dose_times=["08:00", "20:00"],
        start_date=day,
        occurred_at=start.astimezone(UTC),
    )
    first, second = (f"plan-e2e:{day.isoformat()}:{t}" for t in ("08:00", "20:00"))

    def texts() -> list[str]:
        return [m["body"] for m in fake.messages if m["to"] == number]

    async with (
        dispatcher_running(dispatcher_settings(**env, fake=fake)),
        scaled_time(adherence) as ctx,
    ):
        await publish(kafka, prefix, enrolled, plan)
        await eventually(texts, timeout=30, message="the first reminder at the fake Twilio")
        reply = InboundSmsReceived(
            message_sid="SM" + uuid4().hex,
            from_phone=number,
            to_phone=AUSTIN,
            body="1",
            received_at=ctx.clock.now(),
        )
        await publish(kafka, prefix, reply)

        async def first_taken() -> bool:
            dose = await ctx.state.dose(first)
            return dose is not None and dose.status.startswith("taken")

        await eventually(first_taken, timeout=30, message="the reply closed the first dose")
        medications = await events_on(
            kafka,
            prefix,
            topics.MEDICATIONS,
            lambda rs: any(r["event_type"] == "DoseMissed" for r in rs),
            timeout=90,
        )
        await eventually(lambda: len(texts()) >= 3, timeout=30, message="three texts")

    assert texts() == [
        "Northside Clinic: time for your 8:00 AM medicine. Reply 1 if taken, 2 if not. "
        "Reply STOP to opt out, HELP for help.",
        "Northside Clinic: time for your 8:00 PM medicine. Reply 1 if taken, 2 if not. "
        "Reply STOP to opt out, HELP for help.",
        "Northside Clinic: we have not heard back about your 8:00 PM medicine. Reply 1 if "
        "taken, 2 if not. Reply STOP to opt out.",
    ]
    [taken] = [r for r in medications if r["event_type"] == "DoseTaken"]
    assert (taken["dose_id"], taken["plan_id"], taken["channel"]) == (first, "plan-e2e", "sms")
    [missed] = [r for r in medications if r["event_type"] == "DoseMissed"]
    assert (missed["dose_id"], missed["reason"]) == (second, "no_reply")
    assert all("lithium" not in body.lower() for body in texts())
