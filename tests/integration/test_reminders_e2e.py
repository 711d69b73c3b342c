"""Reminders and the dispatcher together, against the real Kafka and Redis and the fake Twilio
over HTTP: what patients actually receive, in their own time zone, with the cascade in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from deploy.local.fake_twilio import FakeTwilio
from deploy.local.find_infra import Infra
from services.dispatcher.context import Context as DispatcherContext
from shared.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    PatientEnrolled,
)
from shared.testing.factories import sample
from tests.integration.dispatcher_procs.support import dispatcher_settings
from tests.integration.dispatcher_procs.support import running as dispatcher_running
from tests.integration.reminders_procs.support import (
    BEFORE,
    LEAD,
    ServiceProcess,
    all_requested,
    enrolment,
    in_process,
    no_dead_letters,
    now,
    process_env,
    produce,
    running,
    settled,
    texts,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

BOOKED = "your visit is booked for"
REMINDER = "reminder of your visit"
CANCELLED = "is cancelled"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio()
    twilio.start()
    yield twilio
    twilio.stop()


def number(area: str) -> str:
    """A fresh mobile number, so concurrent tests sharing nothing never collide either."""
    return f"+1{area}555{uuid4().int % 10000:04d}"


def shown(start: datetime, zone: str, abbreviation: str) -> str:
    """How the dispatcher's English templates show a time: "Tue 3/10 at 1:30 PM MT"."""
    local = start.astimezone(ZoneInfo(zone))
    clock = f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return f"{local:%a} {local.month}/{local.day} at {clock} {abbreviation}"


def inbox(fake: FakeTwilio, phone: str) -> list[str]:
    return [m["body"] for m in fake.messages if m["to"] == phone]


async def known_to_both(
    handlers: DispatcherContext, redis: Redis, namespace: str, *patients: PatientEnrolled
) -> None:
    """Both services have stored the patients (so both are consuming)."""

    async def stored(patient_id: str) -> bool:
        profile = await redis.exists(f"{namespace}:reminders:patient:{patient_id}")
        contact = await handlers.directory.get("patient", patient_id)
        return bool(profile) and contact is not None

    for p in patients:
        await eventually(
            partial(stored, p.patient_id), timeout=40, message=f"both services know {p.patient_id}"
        )


async def everything_delivered(kafka: str, prefix: str, fake: FakeTwilio) -> None:
    """Every distinct text requested has reached the fake (the dispatcher sends each once)."""
    requested = {n.notification_id for n in texts(await all_requested(kafka, prefix))}
    await eventually(
        lambda: len(fake.messages) >= len(requested),
        timeout=30,
        message=f"{len(requested)} texts at the fake Twilio",
    )


async def test_a_day_of_appointments_at_the_patients_phones(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Redis, fake: FakeTwilio
) -> None:
    env: dict[str, Any] = {
        "kafka": kafka,
        "prefix": prefix,
        "redis_url": infra.redis_url,
        "namespace": namespace,
    }
    paso = enrolment(patient_id="p-paso", phone=number("915"), zone="America/Denver")
    sea = enrolment(
        patient_id="p-sea", site_id="seattle", phone=number("206"), zone="America/Los_Angeles"
    )
    moved = enrolment(patient_id="p-moved", phone=number("512"))
    off = enrolment(patient_id="p-off", phone=number("512"))
    async with (
        dispatcher_running(dispatcher_settings(**env, fake=fake)) as dispatcher,
        running(in_process(infra, prefix, namespace)),
    ):
        await produce(kafka, prefix, paso, sea, moved, off)
        await known_to_both(dispatcher, redis, namespace, paso, sea, moved, off)
        start = now() + LEAD
        await produce(
            kafka,
            prefix,
            # an El Paso patient of the (Central) Austin site, in person
            sample(
                AppointmentBooked,
                patient_id="p-paso",
                appointment_id="ap-paso",
                site_id="austin",
                start=start,
            ),
            # a Seattle patient, telehealth
            sample(
                AppointmentBooked,
                patient_id="p-sea",
                appointment_id="ap-sea",
                site_id="seattle",
                start=start,
                modality="telehealth",
                join_url="https://visit.example/j/sea1",
            ),
            sample(
                AppointmentBooked,
                patient_id="p-moved",
                appointment_id="ap-moved",
                site_id="austin",
                start=start,
            ),
            sample(
                AppointmentBooked,
                patient_id="p-off",
                appointment_id="ap-off",
                site_id="austin",
                start=start,
            ),
        )
        await eventually(
            lambda: len(inbox(fake, moved.phone)) >= 2,
            timeout=30,
            message="confirmation and first reminder of the moved appointment",
        )
        later = now() + LEAD
        await produce(
            kafka,
            prefix,
            sample(
                AppointmentRescheduled, patient_id="p-moved", appointment_id="ap-moved", start=later
            ),
            sample(AppointmentCancelled, patient_id="p-off", appointment_id="ap-off"),
        )
        await eventually(
            lambda: len(inbox(fake, moved.phone)) >= 6, timeout=40, message="the new slot's cascade"
        )
        await settled(redis, namespace)
        await everything_delivered(kafka, prefix, fake)
        await no_dead_letters(kafka, prefix)

    def kinds(phone: str) -> list[str]:
        return [
            next(k for k in (BOOKED, REMINDER, CANCELLED) if k in body)
            for body in inbox(fake, phone)
        ]

    assert kinds(paso.phone) == [BOOKED, REMINDER, REMINDER, REMINDER]
    assert all(shown(start, "America/Denver", "MT") in b for b in inbox(fake, paso.phone))
    assert all(b.startswith("Northside Clinic: ") for b in inbox(fake, paso.phone))
    assert kinds(sea.phone) == [BOOKED, REMINDER, REMINDER, REMINDER]
    assert all(shown(start, "America/Los_Angeles", "PT") in b for b in inbox(fake, sea.phone))
    assert all(b.startswith("Sound Health: ") for b in inbox(fake, sea.phone))
    # Nothing about the old slot once the move is announced; the new slot's cascade in full.
    moved_texts, split = inbox(fake, moved.phone), kinds(moved.phone).index(BOOKED, 1)
    assert kinds(moved.phone)[:split] in ([BOOKED, REMINDER], [BOOKED, REMINDER, REMINDER])
    assert all(shown(start, "America/Chicago", "CT") in b for b in moved_texts[:split])
    assert kinds(moved.phone)[split:] == [BOOKED, REMINDER, REMINDER, REMINDER]
    assert all(shown(later, "America/Chicago", "CT") in b for b in moved_texts[split:])
    # One cancellation notice, and nothing after it.
    assert kinds(off.phone)[-1] == CANCELLED and kinds(off.phone).count(CANCELLED) == 1
    assert kinds(off.phone)[:-1] in ([BOOKED, REMINDER], [BOOKED, REMINDER, REMINDER])


async def test_sigkill_and_restart_text_every_reminder_exactly_once(
    kafka: str,
    prefix: str,
    infra: Infra,
    namespace: str,
    redis: Redis,
    fake: FakeTwilio,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    env: dict[str, Any] = {
        "kafka": kafka,
        "prefix": prefix,
        "redis_url": infra.redis_url,
        "namespace": namespace,
    }
    patient = enrolment(patient_id="p-kill", phone=number("512"))
    reminders = ServiceProcess(process_env(service_env), tmp_path / "reminders.log")
    try:
        async with dispatcher_running(dispatcher_settings(**env, fake=fake)) as dispatcher:
            await reminders.start()
            await produce(kafka, prefix, patient)
            await known_to_both(dispatcher, redis, namespace, patient)
            start = now() + LEAD + LEAD / 6
            await produce(
                kafka,
                prefix,
                sample(AppointmentBooked, patient_id="p-kill", site_id="austin", start=start),
            )
            await eventually(lambda: inbox(fake, patient.phone), timeout=30, message="booked")
            await reminders.sigkill()
            await reminders.start()
            await eventually(
                lambda: len(inbox(fake, patient.phone)) >= 2,
                timeout=30,
                message="the first reminder",
            )
            await reminders.sigkill()
            d1_due = start - BEFORE["d1"]
            await eventually(lambda: now() > d1_due, timeout=20, message="d1 due while down")
            await reminders.start()
            await settled(redis, namespace)
            await everything_delivered(kafka, prefix, fake)
    except BaseException:
        print(reminders.tail())
        raise
    finally:
        await reminders.sigkill()
    bodies = inbox(fake, patient.phone)
    assert [BOOKED in bodies[0]] + [REMINDER in b for b in bodies[1:]] == [True] * 4, bodies
    assert len(bodies) == 4
