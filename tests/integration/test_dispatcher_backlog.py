"""With 5,000 routine requests queued, an urgent page still goes out before the backlog drains."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4

import pytest

from deploy.local.fake_twilio import FakeTwilio
from deploy.local.find_infra import Infra
from shared.events import (
    ClinicianRegistered,
    NotificationRequested,
    PatientEnrolled,
    Recipient,
    ReplyContext,
)
from tests.integration.dispatcher_procs.support import (
    dispatcher_settings,
    drop_topics,
    known,
    producer,
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


log = logging.getLogger("tests.dispatcher.backlog")

ROUTINE = 5000
PATIENTS = 100
CLINICIAN_PHONE = "+17135550188"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio(callback_delay_ms=60_000)  # no status traffic competing with the test
    twilio.start()
    yield twilio
    twilio.stop()


def routine(patient: str, i: int) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid4(),
        patient_id=patient,
        site_id="austin",
        recipient=Recipient(kind="patient", id=patient),
        template_id="dose_reminder",
        variables={"time": f"{8 + i % 12}:00"},
        category="dose_reminder",
        patient_chosen_time=True,
        dedup_key=f"dose:{patient}:{i}",
    )


async def test_urgent_page_overtakes_a_5000_message_routine_backlog(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Any, fake: FakeTwilio
) -> None:
    settings = dispatcher_settings(
        kafka=kafka,
        prefix=prefix,
        redis_url=infra.redis_url,
        namespace=namespace,
        fake=fake,
        rate_per_second=5000.0,
        cap_per_day=100_000,
        cap_per_week=100_000,
        routine_workers=3,
    )
    patients = [f"p-bulk-{i}" for i in range(PATIENTS)]
    numbers = {p: f"+1512555{1000 + i:04d}" for i, p in enumerate(patients)}
    async with running(settings) as h:
        await publish(
            kafka,
            prefix,
            *(
                PatientEnrolled(
                    patient_id=p,
                    site_id="austin",
                    phone=numbers[p],
                    zone="America/Chicago",
                    consents=["medications"],
                )
                for p in patients
            ),
            ClinicianRegistered(
                clinician_id="c-oncall",
                phone=CLINICIAN_PHONE,
                display_name="Dr. On Call",
                sites=["houston"],
            ),
        )
        await known(h, "patient", *patients)
        await known(h, "clinician", "c-oncall")

        started = time.monotonic()
        async with producer(kafka) as p:
            for i in range(ROUTINE):
                req = routine(patients[i % PATIENTS], i)
                await p.send(
                    prefix + "mtm.notify.routine",
                    req.model_dump_json().encode(),
                    key=req.kafka_key(),
                )
            await p.flush()
        queued = time.monotonic() - started
        await eventually(
            lambda: len(fake.messages) >= 50, timeout=60, message="the routine lane is busy"
        )
        page = NotificationRequested(
            notification_id=uuid4(),
            priority="urgent",
            patient_id="p-bulk-0",
            recipient=Recipient(kind="clinician", id="c-oncall"),
            category="clinician_page",
            template_id="clinician_page",
            variables={"code": "4821", "severity": "P0"},
            dedup_key="page:al-1:0",
            reply_context=ReplyContext(kind="page", ref="4821"),
        )
        await publish(kafka, prefix, page)
        await eventually(
            lambda: to_number(fake, CLINICIAN_PHONE),
            timeout=30,
            interval=0.05,
            message="the page at the fake",
        )
        page_seen = time.monotonic() - started
        await eventually(
            lambda: len(fake.messages) >= ROUTINE + 1,
            timeout=240,
            interval=0.5,
            message="the routine backlog drained",
        )
        drained = time.monotonic() - started

    messages = fake.messages
    position = next(i for i, m in enumerate(messages) if m["to"] == CLINICIAN_PHONE)
    routine_positions = [i for i, m in enumerate(messages) if m["to"] != CLINICIAN_PHONE]
    log.warning(
        "backlog figures: queued %d in %.1fs; page at position %d of %d (after %d "
        "routine texts, %.1fs); drained after %.1fs",
        ROUTINE,
        queued,
        position + 1,
        len(messages),
        position,
        page_seen,
        drained,
    )
    assert len(routine_positions) == ROUTINE  # every routine request once, none twice
    assert position < routine_positions[-1]
    assert position < ROUTINE // 2  # not merely "before the last": well ahead of the backlog
    assert messages[position]["body"].startswith("Bayou Health: URGENT P0 alert, code 4821")
