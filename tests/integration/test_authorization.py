"""Nobody acts on someone else's records by text: the dispatcher and the escalation service
in-process on the real Kafka and Redis. An ACK from a number that was not paged, a dose reply
from a number that now belongs to another patient, a START from a number never enrolled: none
changes anything, and each leaves a security event in the log with ids only.

Each case ends with its positive control (the paged clinician's ACK, the patient's own reply),
so a "nothing happened" is not just a service that did nothing at all."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from demo.fake_sms import FakeSms
from deploy.local.find_infra import Infra
from services.dispatcher.app import build as build_dispatcher
from services.dispatcher.context import Context as DispatcherContext
from services.dispatcher.settings import DispatcherSettings
from services.escalation.app import build as build_escalation
from services.escalation.context import Context as EscalationContext
from services.escalation.settings import EscalationSettings
from shared import topics
from shared.events import (
    AlertAcknowledged,
    ClinicalAlertRaised,
    ClinicianRegistered,
    ConsentChanged,
    DoseTaken,
    Event,
    InboundSmsReceived,
    NotificationRequested,
    PatientContactChanged,
    PatientEnrolled,
    parse_event,
    phone_key,
)
from shared.logging import JsonFormatter
from shared.testing.factories import sample
from tests import phi_scan
from tests.hostile.services import common
from tests.integration.dispatcher_procs.support import known, publish
from tests.integration.escalation_procs.support import roster_now
from tests.kafka_tools import eventually, read_all

pytestmark = pytest.mark.integration

AUSTIN = "+15125550100"


def fresh_phone() -> str:
    phone = f"+1512555{uuid.uuid4().int % 9000 + 1000:04d}"
    phi_scan.register(phone)
    return phone


@dataclass
class Services:
    kafka: str
    prefix: str
    dispatcher: DispatcherContext
    sms: FakeSms
    escalation: EscalationContext

    async def text(self, phone: str, body: str) -> InboundSmsReceived:
        event = InboundSmsReceived(
            message_sid="SM" + uuid.uuid4().hex,
            from_phone=phone,
            to_phone=AUSTIN,
            body=body,
            received_at=self.dispatcher.clock.now(),
        )
        await publish(self.kafka, self.prefix, event)
        return event

    async def events(self, topic: str) -> list[Event]:
        records = await read_all(self.kafka, self.prefix + topic)
        return [parse_event(topic, json.loads(r.value)) for r in records]

    def texts_to(self, phone: str) -> list[str]:
        return [m["body"] for m in self.sms.sent if m["to"] == phone]


@pytest.fixture
async def services(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Redis
) -> AsyncIterator[Services]:
    base = common(kafka=kafka, prefix=prefix, redis_url=infra.redis_url, namespace=namespace)
    sms = FakeSms()
    dispatcher = build_dispatcher(
        DispatcherSettings(**base, dispatcher={"rate_per_second": 100.0}), sender=sms
    )
    escalation = build_escalation(EscalationSettings(**base))
    e_app = escalation.app()
    async with AsyncExitStack() as stack:
        for app in (dispatcher.app(), e_app):
            await stack.enter_async_context(app.lifespan_context())
            await app.start()
            stack.push_async_callback(app.stop)
        yield Services(kafka, prefix, dispatcher.context, sms, escalation.context)


def security_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """Security events as they would be written, before any redaction."""
    raw = JsonFormatter(redact=False)
    return [
        json.loads(raw.format(r))
        for r in caplog.records
        if r.name.endswith("security") or getattr(r, "security", False) is True
    ]


def assert_ids_only(lines: list[dict[str, Any]], *secrets: str) -> None:
    text = json.dumps(lines)
    for secret in secrets:
        assert secret not in text and secret.removeprefix("+1") not in text, secret


async def test_an_ack_from_anyone_not_paged_changes_nothing(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtm")
    paged, on_roster, stranger = fresh_phone(), fresh_phone(), fresh_phone()
    suffix = uuid.uuid4().hex[:6]
    primary, backup = f"c-pri-{suffix}", f"c-bak-{suffix}"
    await publish(
        services.kafka,
        services.prefix,
        ClinicianRegistered(
            clinician_id=primary, phone=paged, display_name="Dr. Paged", sites=["austin"]
        ),
        ClinicianRegistered(
            clinician_id=backup, phone=on_roster, display_name="Dr. Later", sites=["austin"]
        ),
        roster_now("austin", primary=primary, backup=backup, director=None),
    )
    await known(services.dispatcher, "clinician", primary, backup)
    store = services.escalation.store
    await eventually(lambda: store.redis.exists(store.keys.roster("austin")), timeout=30)
    alert_id = f"al-auth-{suffix}"
    await publish(
        services.kafka,
        services.prefix,
        ClinicalAlertRaised(
            patient_id="p-auth",
            site_id="austin",
            alert_id=alert_id,
            severity="P0",
            rule_id="SYM-CSSRS-Q4",
            dedup_key=f"p-auth:{alert_id}",
            source="symptoms",
        ),
    )
    await eventually(lambda: services.texts_to(paged), timeout=30, message="the primary paged")
    state = await store.alert(alert_id)
    assert state is not None and state.code is not None
    code = state.code

    # The backup (on the roster, not paged yet) and a stranger answer with the right code; the
    # backup also answers without one; and someone forges the dispatcher's reading on the topic.
    await services.text(on_roster, f"ACK {code}")
    await services.text(stranger, f"ACK {code}")
    await services.text(on_roster, "ACK")
    await publish(
        services.kafka,
        services.prefix,
        AlertAcknowledged(
            code=code, clinician_id=backup, source="dispatcher", message_sid="SM" + "f" * 32
        ),
    )

    def refused() -> bool:
        lines = security_lines(caplog)
        dispatcher = [
            x
            for x in lines
            if x["logger"].startswith("mtm.dispatcher") or x.get("service") == "dispatcher"
        ]
        return len(dispatcher) >= 3 and any(x.get("kind") == "ack_refused" for x in lines)

    await eventually(refused, timeout=30, message="three refusals by the dispatcher, one here")
    state = await store.alert(alert_id)
    assert state is not None and (state.status, state.acknowledged_by) == ("open", None)
    acks = [e for e in await services.events(topics.ALERTS) if isinstance(e, AlertAcknowledged)]
    assert [a.source for a in acks] == ["dispatcher"]  # only the forged one; nobody confirmed it
    assert services.texts_to(on_roster) == []  # no "acknowledged" notice, no page yet
    lines = security_lines(caplog)
    escalation_line = next(line for line in lines if line.get("kind") == "ack_refused")
    assert (escalation_line["reason"], escalation_line["clinician_id"]) == ("not_paged", backup)
    assert_ids_only(lines, paged, on_roster, stranger, "Dr. Paged", "Dr. Later")

    # Control: the clinician who was paged acknowledges.
    await services.text(paged, f"ACK {code}")

    async def acknowledged() -> bool:
        current = await store.alert(alert_id)
        return current is not None and current.acknowledged_by == primary

    await eventually(acknowledged, timeout=30, message="the paged clinician's ACK")


async def test_a_dose_reply_from_a_number_now_anothers_changes_nothing(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtm")
    old, new = fresh_phone(), fresh_phone()
    a, b = f"p-a-{uuid.uuid4().hex[:6]}", f"p-b-{uuid.uuid4().hex[:6]}"
    await publish(services.kafka, services.prefix, enrolled(a, old))
    await known(services.dispatcher, "patient", a)
    await publish(services.kafka, services.prefix, dose_reminder(a, "08:00"))
    await eventually(lambda: services.texts_to(old), timeout=30, message="A's reminder")

    # A moves to a new number; the old one is given to patient B. B answers A's reminder.
    await publish(
        services.kafka,
        services.prefix,
        PatientContactChanged(patient_id=a, phone=new),
        enrolled(b, old),
    )
    directory = services.dispatcher.directory

    async def moved() -> bool:
        owners = await directory.owners(phone_key(old))
        return owners == [("patient", b)]

    await eventually(moved, timeout=30, message="the number now B's")
    await services.text(old, "1")

    def logged() -> bool:
        return any(
            line.get("kind") == "reply_for_record_not_owned" or "no longer owns" in line["msg"]
            for line in security_lines(caplog)
        )

    await eventually(logged, timeout=30, message="a security event")
    doses = [e for e in await services.events(topics.MEDICATIONS) if isinstance(e, DoseTaken)]
    assert doses == []
    assert_ids_only(security_lines(caplog), old, new)

    # Control: A's own reply from A's number is A's dose.
    await publish(services.kafka, services.prefix, dose_reminder(a, "20:00"))
    await eventually(lambda: services.texts_to(new), timeout=30, message="A's next reminder")
    await services.text(new, "1")

    async def taken() -> list[Event]:
        return [
            e
            for e in await services.events(topics.MEDICATIONS)
            if isinstance(e, DoseTaken) and e.patient_id == a
        ]

    [dose] = await eventually(taken, timeout=30, message="A's dose taken")
    assert dose.dose_id.endswith("20:00")


async def test_a_start_from_a_number_never_enrolled_changes_nothing(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtm")
    patient_phone, stranger = fresh_phone(), fresh_phone()
    patient = f"p-c-{uuid.uuid4().hex[:6]}"
    await publish(services.kafka, services.prefix, enrolled(patient, patient_phone))
    await known(services.dispatcher, "patient", patient)
    await services.text(patient_phone, "STOP")
    directory = services.dispatcher.directory

    async def opted_out() -> bool:
        return await directory.opt_out_state(phone_key(patient_phone)) is not None

    await eventually(opted_out, timeout=30, message="the patient's STOP")
    await services.text(stranger, "START")

    def logged() -> bool:
        return any(
            line.get("kind") == "opt_in_from_unknown_number" for line in security_lines(caplog)
        )

    await eventually(logged, timeout=30, message="a security event")
    # Whether the number gets an answer is the reply handling's choice (today it does); nobody's
    # consent changes: the patient stays opted out, no ConsentChanged but the patient's own STOP.
    # Same key, so handled after the START; AYUDA, not HELP: Twilio answers HELP itself.
    await services.text(stranger, "AYUDA")
    await eventually(
        lambda: any("msgs/day" in t for t in services.texts_to(stranger)),
        timeout=30,
        message="the AYUDA answer, so the START before it is done",
    )
    assert await opted_out()
    consents = [e for e in await services.events(topics.PATIENTS) if isinstance(e, ConsentChanged)]
    assert [(c.patient_id, c.status) for c in consents] == [(patient, "revoked")]
    assert await directory.owners(phone_key(stranger)) == []
    line = next(x for x in security_lines(caplog) if x.get("kind") == "opt_in_from_unknown_number")
    assert set(line) >= {"message_sid", "event_id", "service"}
    assert_ids_only(security_lines(caplog), patient_phone, stranger, "START")

    # Control: the patient's own START resubscribes them.
    await services.text(patient_phone, "START")

    async def back() -> bool:
        return not await opted_out()

    await eventually(back, timeout=30, message="the patient's own START")


def enrolled(patient_id: str, phone: str) -> PatientEnrolled:
    return sample(
        PatientEnrolled,
        patient_id=patient_id,
        phone=phone,
        consents=["appointments", "medications", "checkins"],
        date_of_birth=None,
    )


def dose_reminder(patient_id: str, at: str) -> NotificationRequested:
    dose = f"plan-{patient_id}:2026-03-10:{at}"
    return sample(
        NotificationRequested,
        patient_id=patient_id,
        recipient={"kind": "patient", "id": patient_id},
        variables={"time": at},
        dedup_key=f"dose:{dose}:reminder",
        reply_context={"kind": "dose", "ref": dose, "extra": {"plan_id": f"plan-{patient_id}"}},
    )
