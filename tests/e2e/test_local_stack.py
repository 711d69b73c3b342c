"""The acceptance of `make local-up` / `make local-down`: the whole system as local processes, a
clinic system publishing with a plain Kafka client, SMS at the fake Twilio, nothing left after.

The stack gets a Kafka and Redis of its own (its own infra directory and ports), so stopping it
stops them too and the shared ones are never touched. Time is shortened by settings only: the
reminder cascade is one step 5 s before the start, and the adherence service's clock runs six
times as fast (MTM_ADHERENCE__SIM__*), so a dose "a few minutes ahead" comes due in seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deploy.local.find_infra import ROOT
from deploy.local.private_kafka import free_port
from shared import topics
from shared.events import parse_event
from tests.kafka_tools import eventually, produce_raw, read_topic

pytestmark = pytest.mark.e2e

STACK = [sys.executable, str(ROOT / "deploy" / "local" / "stack.py")]
SCALE = 6
ZONE = "America/Chicago"
BOOKED, REMINDER, DOSE = "your visit is booked for", "reminder of your visit", "medicine"


def distinct_ports(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def stack(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """`make local-up` / `make local-down` run exactly this (see the Makefile)."""
    return subprocess.run(
        [*STACK, command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def messages(base_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base_url}/_fake/messages", timeout=5) as answer:  # noqa: S310
        return list(json.load(answer))


def pids(directory: Path) -> dict[str, int]:
    """Every pid file under the stack's infra directory (services, fake, Kafka, Redis)."""
    return {p.stem: int(p.read_text().split()[0]) for p in directory.rglob("*.pid")}


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return not stat.read_text().rsplit(") ", 1)[-1].startswith("Z")
    except OSError:
        return False


def processes_mentioning(marker: str) -> list[int]:
    """Processes whose command line or environment holds `marker` (this run's unique prefix)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in text and alive(int(proc.name)):
            found.append(int(proc.name))
    return found


def wire(event_type: str, **fields: Any) -> bytes:
    """An event as a clinic system would send it: plain JSON (checked against the contract)."""
    record = {"event_type": event_type, "event_id": str(uuid.uuid4()), **fields}
    return json.dumps(record).encode()


async def test_local_stack_texts_patients_and_leaves_no_process_behind(tmp_path: Path) -> None:
    kafka_port, controller_port, redis_port, gateway_port, twilio_port = distinct_ports(5)
    run = f"e2e{uuid.uuid4().hex[:10]}"
    prefix = f"{run}."
    sim_start = datetime.now(UTC).replace(microsecond=0)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MTM_")},
        "MTM_INFRA_DIR": str(tmp_path),
        "MTM_LOCAL_KAFKA_PORT": str(kafka_port),
        "MTM_LOCAL_KAFKA_CONTROLLER_PORT": str(controller_port),
        "MTM_LOCAL_REDIS_PORT": str(redis_port),
        "MTM_LOCAL_KAFKA_HEAP": "-Xms128m -Xmx512m",
        "MTM_LOCAL_GATEWAY_PORT": str(gateway_port),
        "MTM_LOCAL_TWILIO_PORT": str(twilio_port),
        "MTM_KAFKA__TOPIC_PREFIX": prefix,
        "MTM_REDIS__NAMESPACE": run,
        "MTM_REMINDERS__CASCADE": json.dumps([{"name": "soon", "before": 5, "clock": "absolute"}]),
        "MTM_REMINDERS__TIMER_POLL_SECONDS": "0.1",
        "MTM_ADHERENCE__SIM__SCALE": str(SCALE),
        "MTM_ADHERENCE__SIM__START": sim_start.isoformat(),
        "MTM_ADHERENCE__SIM__ANCHOR": sim_start.isoformat(),
    }
    fake = f"http://127.0.0.1:{twilio_port}"
    phone = f"+1512555{uuid.uuid4().int % 10000:04d}"
    patient = f"p-{run}"
    started = time.monotonic()
    seen: dict[str, int] = {}
    try:
        up = stack("up", env, timeout=240)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        seen = pids(tmp_path)
        assert {"fake-twilio", "gateway", "dispatcher", "adherence", "kafka", "redis"} <= set(seen)
        bootstrap = f"127.0.0.1:{kafka_port}"

        now = datetime.now(UTC)
        # The adherence service's clock: sim_start + (now - sim_start) x SCALE. A dose three
        # service minutes (30 real seconds at most) ahead, on a whole minute.
        service_now = sim_start + (now - sim_start) * SCALE
        dose_at = (service_now + timedelta(minutes=3)).astimezone(ZoneInfo(ZONE))
        enrolled = wire(
            "PatientEnrolled",
            patient_id=patient,
            site_id="austin",
            phone=phone,
            zone=ZONE,
            consents=["appointments", "medications"],
            quiet_start="00:00",  # allowed hours all day: the test runs at any hour
            quiet_end="00:00",
        )
        booked = wire(
            "AppointmentBooked",
            patient_id=patient,
            site_id="austin",
            appointment_id=f"ap-{run}",
            start=(now + timedelta(seconds=20)).isoformat(),
            modality="in_person",
        )
        plan = wire(
            "MedicationPlanStarted",
            patient_id=patient,
            plan_id=f"plan-{run}",
            drug="sertraline",
            drug_class="ssri",
            dose_times=[f"{dose_at:%H:%M}"],
            zone=ZONE,
            start_date=f"{dose_at:%Y-%m-%d}",
        )
        for topic, value in (
            (topics.PATIENTS, enrolled),
            (topics.APPOINTMENTS, booked),
            (topics.MEDICATIONS, plan),
        ):
            parse_event(topic, value)  # a typo here should fail here, not as a dead letter
            await produce_raw(bootstrap, prefix + topic, [value], key=patient.encode())

        def texts() -> list[str]:
            return [m["body"] for m in messages(fake) if m["to"] == phone]

        def arrived() -> bool:
            bodies = texts()
            return all(any(k in b for b in bodies) for k in (BOOKED, REMINDER, DOSE))

        await eventually(arrived, timeout=90, interval=0.5, message="three SMS at the fake Twilio")

        # Twilio's status callbacks came back through the gateway to the dispatcher.
        def delivered(records: list[Any]) -> bool:
            events = [parse_event(topics.NOTIFY_STATUS, r.value) for r in records]
            return sum(e.event_type == "NotificationDelivered" for e in events) >= 3

        await read_topic(bootstrap, prefix + topics.NOTIFY_STATUS, until=delivered, timeout=30)
        bodies = texts()
    finally:
        down = stack("down", env, timeout=120)
    elapsed = time.monotonic() - started

    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
    assert [pid for pid in seen.values() if alive(pid)] == []
    assert processes_mentioning(prefix) == []
    assert processes_mentioning(str(tmp_path)) == []
    assert sorted(next(k for k in (BOOKED, REMINDER, DOSE) if k in b) for b in bodies) == sorted(
        [BOOKED, REMINDER, DOSE]
    ), bodies
    assert all(b.startswith("Northside Clinic: ") for b in bodies)
    assert all("sertraline" not in b.lower() for b in bodies)  # no drug name in a text
    print(f"local stack: {len(bodies)} SMS, up to down in {elapsed:.0f}s")
