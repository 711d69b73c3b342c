"""Twilio refusing our configuration mid-workload, against the real Kafka and Redis and the fake
Twilio as a process (its faults set over HTTP, as an operator's rotation would hit us): nothing
is lost, failed or sent twice, and an operator hears of it once."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from deploy.local.find_infra import Infra
from services.dispatcher.settings import DispatcherSettings
from shared import topics
from shared.events import (
    ClinicianRegistered,
    Event,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    NotificationSuppressed,
    OperationalWarning,
    PatientEnrolled,
    Recipient,
    ReplyContext,
)
from shared.sites import demo_sites
from tests.integration.dispatcher_procs.support import (
    drop_topics,
    events_on,
    known,
    publish,
    running,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
N = 40
AUSTIN = "+15125550100"
HOUSTON, HOUSTON_FALLBACK = "+17135550100", "+17135550101"


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    """The fake Twilio as its own process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.local.fake_twilio", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "the fake exited"
            try:
                if httpx.get(f"{url}/_fake/count", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the fake did not answer"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
async def fake(fake_url: str, kafka: str, prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake_url) as client:
        (await client.post("/_fake/reset")).raise_for_status()
        yield client
    await drop_topics(kafka, prefix)


def settings(kafka: str, prefix: str, infra: Infra, namespace: str, url: str) -> DispatcherSettings:
    sites = demo_sites()
    sites["houston"] = sites["houston"].model_copy(
        update={"fallback_from_number": HOUSTON_FALLBACK}
    )
    return DispatcherSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        twilio={
            "account_sid": DEFAULT_ACCOUNT_SID,
            "auth_token": DEFAULT_AUTH_TOKEN,
            "base_url": url,
        },
        log={"level": "WARNING"},
        sites=sites,
        dispatcher={
            "backoff_base_seconds": 0.05,
            "backoff_max_seconds": 0.2,
            "ambiguous_settle_seconds": 0.1,
            # Spread the workload over a few seconds, so the rotation lands in the middle of it.
            "rate_per_second": 10.0,
            "config_retry_base_seconds": 0.5,
            "config_retry_max_seconds": 2.0,
        },
    )


async def set_faults(fake: httpx.AsyncClient, **knobs: Any) -> None:
    (await fake.post("/_fake/faults", json=knobs)).raise_for_status()


async def messages(fake: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await fake.get("/_fake/messages")
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


async def everything_on(
    kafka: str, prefix: str, topic: str, until: Callable[[list[Event]], bool]
) -> list[Event]:
    """The events of a topic once `until` holds, and everything else published so far: the
    topic is read from the start for at least 3 s (so "exactly one" means it)."""
    settle = time.monotonic() + 3
    return await events_on(
        kafka, prefix, topic, lambda es: until(es) and time.monotonic() > settle, timeout=30
    )


def reminder(patient_id: str) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid4(),
        patient_id=patient_id,
        site_id="austin",
        recipient=Recipient(kind="patient", id=patient_id),
        template_id="dose_reminder",
        variables={"time": "08:00"},
        category="dose_reminder",
        dedup_key=f"dose:{patient_id}:{uuid4().hex[:6]}",
        patient_chosen_time=True,
        reply_context=ReplyContext(kind="dose", ref=f"plan-{patient_id}:2026-03-10:08:00"),
    )


async def test_an_auth_token_rotation_mid_workload_loses_no_notification(
    kafka: str, prefix: str, infra: Infra, namespace: str, fake: httpx.AsyncClient, fake_url: str
) -> None:
    run = uuid4().hex[:6]
    patients = {f"p-{run}-{i}": f"+1512555{1000 + i:04d}" for i in range(N)}
    requests = [reminder(p) for p in patients]
    async with running(settings(kafka, prefix, infra, namespace, fake_url)) as ctx:
        await publish(
            kafka,
            prefix,
            *(
                PatientEnrolled(
                    patient_id=p,
                    site_id="austin",
                    phone=number,
                    zone="America/Chicago",
                    consents=["medications"],
                )
                for p, number in patients.items()
            ),
        )
        await known(ctx, "patient", *patients)
        await publish(kafka, prefix, *requests)
        await eventually(lambda: count_at_least(fake, N // 4), timeout=30, message="a quarter sent")
        await set_faults(fake, reject_auth=True)  # the token is rotated under us
        # Unrefused, the rest would all go out in these 4 s (10 a second).
        await asyncio.sleep(4)
        before_fix = len(await messages(fake))
        await set_faults(fake, reject_auth=False)  # the new token is in place
        assert before_fix < N, "the rotation did not land mid-workload"
        await eventually(lambda: sent_count(fake, N), timeout=60, message="every one sent")
        await asyncio.sleep(3)  # longer than a held send's longest wait: no second copy
        sent = await messages(fake)
        status = await everything_on(
            kafka, prefix, topics.NOTIFY_STATUS, lambda es: len(of(es, NotificationSent)) >= N
        )
        alerts = await everything_on(
            kafka, prefix, topics.ALERTS, lambda es: bool(of(es, OperationalWarning))
        )
    print(f"sent before the rotation and after it: {before_fix}, {N - before_fix}")
    to = sorted(m["to"] for m in sent)
    assert to == sorted(patients.values())  # each patient exactly once
    wanted = {r.notification_id for r in requests}
    assert {e.notification_id for e in of(status, NotificationSent)} == wanted
    assert of(status, NotificationFailed) == of(status, NotificationSuppressed) == []
    [warning] = of(alerts, OperationalWarning)
    assert warning.warning == "twilio_configuration" and "20003" in warning.detail


async def test_a_page_goes_out_through_the_second_sender_when_the_first_cannot_send(
    kafka: str, prefix: str, infra: Infra, namespace: str, fake: httpx.AsyncClient, fake_url: str
) -> None:
    clinician, phone = f"c-{uuid4().hex[:6]}", "+15125559188"
    await set_faults(fake, error_by_sender={HOUSTON: 21606})
    page = NotificationRequested(
        notification_id=uuid4(),
        priority="urgent",
        recipient=Recipient(kind="clinician", id=clinician),
        template_id="clinician_page",
        variables={"code": "4821", "severity": "P0"},
        category="clinician_page",
        dedup_key=f"page:{uuid4().hex}",
        reply_context=ReplyContext(kind="page", ref="4821", extra={"alert_id": "al-1"}),
    )
    async with running(settings(kafka, prefix, infra, namespace, fake_url)) as ctx:
        await publish(
            kafka,
            prefix,
            ClinicianRegistered(
                clinician_id=clinician, phone=phone, display_name="Dr. Lee", sites=["houston"]
            ),
        )
        await known(ctx, "clinician", clinician)
        await publish(kafka, prefix, page)
        [sms] = await eventually(lambda: sent_count(fake, 1), message="the page")
        alerts = await everything_on(
            kafka, prefix, topics.ALERTS, lambda es: bool(of(es, OperationalWarning))
        )
    assert (sms["to"], sms["from"]) == (phone, HOUSTON_FALLBACK)
    [warning] = of(alerts, OperationalWarning)
    assert HOUSTON in warning.detail and "21606" in warning.detail


def of(events: list[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


async def count_at_least(fake: httpx.AsyncClient, n: int) -> bool:
    return len(await messages(fake)) >= n


async def sent_count(fake: httpx.AsyncClient, n: int) -> list[dict[str, Any]] | None:
    found = await messages(fake)
    return found if len(found) >= n else None
