"""A dispatcher process killed with SIGKILL mid-send still yields exactly one SMS."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from deploy.local.fake_twilio import DEFAULT_AUTH_TOKEN, FakeTwilio
from shared import topics
from shared.events import (
    NotificationRequested,
    NotificationSent,
    PatientEnrolled,
    Recipient,
    ReplyContext,
)
from tests.integration.dispatcher_procs.support import (
    drop_topics,
    events_on,
    publish,
    to_number,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
async def _drop_topics(kafka: str, prefix: str) -> AsyncIterator[None]:
    yield
    await drop_topics(kafka, prefix)


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio()
    twilio.start()
    yield twilio
    twilio.stop()


class Procs:
    """Dispatcher processes of one test; every one is killed at the end whatever happens."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, module: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{module.rsplit('.', 1)[-1]}-{len(self.started)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(proc)
        return proc

    def cleanup(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@pytest.fixture
def procs(service_env: dict[str, str], fake: FakeTwilio, tmp_path: Path) -> Iterator[Procs]:
    env = {
        **service_env,
        "MTM_TWILIO__BASE_URL": fake.base_url,
        "MTM_TWILIO__AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        # The shortest lease: the restarted process takes the dead one's send over sooner.
        "MTM_DISPATCHER__CLAIM_LEASE_SECONDS": "6",
        "MTM_KAFKA__RETRY_BACKOFF_SECONDS": "0.2",
        "MTM_TEST_CRASH_MARKER": str(tmp_path / "crashed"),
    }
    p = Procs(env, tmp_path)
    try:
        yield p
    finally:
        p.cleanup()


def reminder(patient_id: str) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid4(),
        patient_id=patient_id,
        site_id="austin",
        recipient=Recipient(kind="patient", id=patient_id),
        template_id="dose_reminder",
        variables={"time": "08:00"},
        category="dose_reminder",
        patient_chosen_time=True,
        dedup_key=f"dose:{patient_id}:{uuid4().hex[:8]}",
        reply_context=ReplyContext(kind="dose", ref=f"plan-k:{uuid4().hex[:6]}"),
    )


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float = 60) -> int:
    code = await eventually(
        lambda: proc.poll() is not None,
        timeout=timeout,
        interval=0.05,
        message="the dispatcher process exits",
    )
    assert code
    return proc.returncode


async def setup_patient(kafka: str, prefix: str, redis: Redis, namespace: str) -> tuple[str, str]:
    patient, number = f"p-kill-{uuid4().hex[:6]}", f"+1512555{uuid4().int % 10000:04d}"
    await publish(
        kafka,
        prefix,
        PatientEnrolled(
            patient_id=patient,
            site_id="austin",
            phone=number,
            zone="America/Chicago",
            consents=["medications"],
        ),
    )
    return patient, number


async def in_directory(redis: Redis, namespace: str, patient: str) -> None:
    await eventually(
        lambda: redis.exists(f"{namespace}:dispatcher:contact:patient:{patient}"),
        timeout=60,
        message="the patient in the directory",
    )


async def test_sigkill_between_the_twilio_call_and_the_commit(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    fake: FakeTwilio,
    procs: Procs,
    tmp_path: Path,
) -> None:
    patient, number = await setup_patient(kafka, prefix, redis, namespace)
    first = procs.start("tests.integration.dispatcher_procs.crash_after_send")
    await in_directory(redis, namespace, patient)
    req = reminder(patient)
    await publish(kafka, prefix, req)
    assert await wait_exit(first) == -signal.SIGKILL
    [sms] = to_number(fake, number)
    assert (tmp_path / "crashed").read_text() == sms["sid"]
    # Killed mid-send: the claim is still pending and the attempt is on record.
    nid = str(req.notification_id)
    claim = await redis.get(f"{namespace}:dispatcher:claim:send:{nid}")
    assert isinstance(claim, bytes) and claim.startswith(b"pending:")
    assert await redis.exists(f"{namespace}:dispatcher:attempt:{nid}")

    procs.start("services.dispatcher")
    events = await events_on(
        kafka,
        prefix,
        topics.NOTIFY_STATUS,
        lambda es: any(isinstance(e, NotificationSent) for e in es),
        timeout=90,
    )
    [sent] = [e for e in events if isinstance(e, NotificationSent)]
    assert sent.notification_id == req.notification_id and sent.message_sid == sms["sid"]
    assert len(to_number(fake, number)) == 1
    done = await redis.get(f"{namespace}:dispatcher:claim:send:{nid}")
    assert done == f"done:sent:{sms['sid']}".encode()


async def test_sigkill_while_twilio_is_still_answering(
    kafka: str, prefix: str, redis: Redis, namespace: str, fake: FakeTwilio, procs: Procs
) -> None:
    patient, number = await setup_patient(kafka, prefix, redis, namespace)
    first = procs.start("services.dispatcher")
    await in_directory(redis, namespace, patient)
    fake.set_faults(latency_ms=1500)  # the fake records the message 1.5 s after the request
    req = reminder(patient)
    await publish(kafka, prefix, req)
    attempt = f"{namespace}:dispatcher:attempt:{req.notification_id}"
    await eventually(
        lambda: redis.exists(attempt), timeout=60, interval=0.01, message="the send in flight"
    )
    first.send_signal(signal.SIGKILL)
    assert await wait_exit(first) == -signal.SIGKILL
    # Whether Twilio went on to send it is unknown to the dispatcher (this fake drops a request
    # whose caller hung up); the restarted one must look before it sends.
    assert to_number(fake, number) == []
    fake.set_faults(latency_ms=0)

    procs.start("services.dispatcher")
    events = await events_on(
        kafka,
        prefix,
        topics.NOTIFY_STATUS,
        lambda es: any(isinstance(e, NotificationSent) for e in es),
        timeout=90,
    )
    [sent] = [e for e in events if isinstance(e, NotificationSent)]
    [sms] = to_number(fake, number)
    assert sent.message_sid == sms["sid"]
