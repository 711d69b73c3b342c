"""Helpers of the check-in end-to-end tests: a patient texting through the gateway, plans,
and the symptoms service's timers fired on its fake clock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deploy.local.fake_twilio import FakeTwilio
from services.dispatcher.context import Context as DispatcherContext
from services.symptoms.context import Context
from services.symptoms.timers import plan_key
from shared import events as ev
from shared.clock import FakeClock
from shared.runtime import Service
from shared.testing.factories import sample
from tests.integration.dispatcher_procs.support import known, publish
from tests.integration.gateway_support import GatewayProcess
from tests.kafka_tools import eventually

AUSTIN = "+15125550100"  # the dispatcher's default sender for the Austin site
ZONE = "America/Chicago"


class Patient:
    """A patient with a number of their own, texting the clinic through the gateway."""

    def __init__(self, gateway: GatewayProcess, fake: FakeTwilio) -> None:
        self.id = f"p-{uuid.uuid4().hex[:8]}"
        self.phone = f"+1512555{uuid.uuid4().int % 10000:04d}"
        self.gateway, self.fake = gateway, fake

    def texts(self) -> list[str]:
        return [m["body"] for m in self.fake.messages if m["to"] == self.phone]

    async def next_text(self, count: int, *, timeout: float = 60) -> str:
        """Wait for the patient's `count`-th text and return it."""
        await eventually(
            lambda: len(self.texts()) >= count, timeout=timeout, message=f"text {count} arrives"
        )
        return self.texts()[count - 1]

    def auto_replies(self) -> list[str]:
        """Twilio's own answers to the patient's STOP, START and HELP words."""
        return [r["body"] for r in self.fake.auto_replies if r["to"] == self.phone]

    async def reply(self, body: str) -> None:
        """Text the clinic: the fake Twilio applies its keyword handling, then posts the signed
        webhook to the gateway."""
        url = self.gateway.url + "/twilio/sms"
        done = await asyncio.to_thread(self.fake.inbound, self.phone, AUSTIN, body, url=url)
        assert done["webhook_status"] == 200


async def enrolled(
    kafka: str,
    prefix: str,
    dispatcher: DispatcherContext,
    gateway: GatewayProcess,
    fake: FakeTwilio,
) -> Patient:
    patient = Patient(gateway, fake)
    await publish(
        kafka,
        prefix,
        sample(
            ev.PatientEnrolled,
            patient_id=patient.id,
            phone=patient.phone,
            site_id="austin",
            zone=ZONE,
            consents=["checkins", "medications"],
            # Allowed around the clock, so the test does not depend on the hour it runs at.
            quiet_start="00:00",
            quiet_end="00:00",
        ),
    )
    await known(dispatcher, "patient", patient.id)
    return patient


async def fire(
    symptoms: tuple[Service[Context], FakeClock], patient: Patient, kind: str, at: datetime
) -> None:
    """Wait until the plan's timer is set for `at`, then let the clock reach it."""
    svc, clock = symptoms

    async def planned() -> bool:
        due, _ = await svc.context.checkins.timers.get(plan_key(patient.id, kind))
        return due == at

    await eventually(planned, timeout=60, message=f"{kind} check-in planned")
    clock.set(at)
    assert await svc.workers[0].run_once() >= 1


def plan(patient: Patient, kind: str, at: datetime) -> ev.CheckInPlanSet:
    local = at.astimezone(ZoneInfo(ZONE))
    return sample(
        ev.CheckInPlanSet,
        patient_id=patient.id,
        site_id="austin",
        kind=kind,
        weekday=local.weekday(),
        local_time=f"{local:%H:%M}",
        zone=ZONE,
        start_date=local.date(),
    )


def of_session(events: list[ev.Event], patient: Patient) -> list[Any]:
    return [e for e in events if e.patient_id == patient.id]
