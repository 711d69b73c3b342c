"""Clinical fail-safes through the public path, on the real Kafka and Redis: raw JSON produced with
a plain client, replies posted to the gateway process as Twilio signs them, outcomes read from
`mtm.alerts`, `mtm.patients`, `mtm.appointments` and the fake Twilio."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from deploy.local.fake_twilio import FakeTwilio
from services.dispatcher.context import Context as DispatcherContext
from services.symptoms.context import Context
from services.symptoms.state import SymptomState
from shared import events as ev
from shared import topics
from shared.runtime import Service
from shared.testing.factories import sample
from tests.integration.checkins_support import AUSTIN, ZONE, Patient, enrolled
from tests.integration.dispatcher_procs.support import events_on, publish
from tests.integration.escalation_procs.support import escalation_process, roster_now
from tests.integration.gateway_support import GatewayProcess, read_all
from tests.kafka_tools import eventually, produce_raw
from tests.unit.dispatcher import opt_out_phrases
from tests.unit.lexicon import crisis_phrases

pytestmark = pytest.mark.integration

CRISIS_WORDINGS = crisis_phrases.ISSUE
PLAIN_OPT_OUTS = opt_out_phrases.ISSUE_PHRASES


def alerts_for(events: list[ev.Event], patient_id: str, rule: str) -> list[Any]:
    return [
        e
        for e in events
        if isinstance(e, ev.ClinicalAlertRaised)
        and e.patient_id == patient_id
        and e.rule_id == rule
    ]


def raw(event_type: str, **fields: Any) -> bytes:
    return json.dumps({"event_type": event_type, "event_id": str(uuid.uuid4()), **fields}).encode()


async def test_crisis_wordings_each_raise_an_alert_and_get_the_crisis_text(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
) -> None:
    patients = [await enrolled(kafka, prefix, dispatcher, gateway, fake) for _ in CRISIS_WORDINGS]
    for patient, words in zip(patients, CRISIS_WORDINGS, strict=True):
        await patient.reply(words)
    alerts = await events_on(
        kafka,
        prefix,
        topics.ALERTS,
        lambda es: all(alerts_for(es, p.id, "SE-ANY-EMERGENCY") for p in patients),
        timeout=60,
    )
    for patient, words in zip(patients, CRISIS_WORDINGS, strict=True):
        [alert] = alerts_for(alerts, patient.id, "SE-ANY-EMERGENCY")
        assert alert.severity in ("P0", "P1"), words
        assert words.lower() not in json.dumps(alert.model_dump(mode="json")).lower()
        text = await patient.next_text(1)
        assert "988" in text, (words, text)


async def test_plain_opt_outs_stop_the_next_notice(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
) -> None:
    patients = [await enrolled(kafka, prefix, dispatcher, gateway, fake) for _ in PLAIN_OPT_OUTS]
    for patient, words in zip(patients, PLAIN_OPT_OUTS, strict=True):
        await patient.reply(words)
    await events_on(
        kafka,
        prefix,
        topics.PATIENTS,
        lambda es: (
            {e.patient_id for e in es if isinstance(e, ev.ConsentChanged) and e.status == "revoked"}
            >= {p.id for p in patients}
        ),
    )
    for patient in patients:
        await patient.next_text(1)  # the one confirmation
    await publish(
        kafka,
        prefix,
        *(
            sample(
                ev.NotificationRequested,
                patient_id=p.id,
                recipient={"kind": "patient", "id": p.id},
                template_id="appointment_booked",
                category="appointment_booked",
                variables={"start": "2030-01-07T15:00:00Z"},
                dedup_key=f"booked:{p.id}",
            )
            for p in patients
        ),
    )
    statuses = await events_on(
        kafka,
        prefix,
        topics.NOTIFY_STATUS,
        lambda es: (
            sum(
                isinstance(e, ev.NotificationSuppressed) and e.category == "appointment_booked"
                for e in es
            )
            >= len(patients)
        ),
    )
    assert {e.reason for e in statuses if isinstance(e, ev.NotificationSuppressed)} == {"opted_out"}
    assert all(len(p.texts()) == 1 for p in patients), [p.texts() for p in patients]


async def test_cancel_after_an_appointment_reminder_opts_out_and_asks_about_the_visit(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    await publish(
        kafka,
        prefix,
        sample(
            ev.ConsentChanged,
            patient_id=patient.id,
            status="granted",
            scope="appointments",
            channel="staff",
        ),
    )

    async def granted() -> bool:
        contact = await dispatcher.directory.get("patient", patient.id)
        return contact is not None and "appointments" in contact.programs

    await eventually(granted, timeout=30, message="the appointments consent is known")
    await publish(
        kafka,
        prefix,
        sample(
            ev.NotificationRequested,
            patient_id=patient.id,
            recipient={"kind": "patient", "id": patient.id},
            template_id="appointment_reminder",
            category="appointment_reminder",
            variables={"start": "2030-01-07T15:00:00Z"},
            dedup_key=f"reminder:{patient.id}",
            reply_context={"kind": "appointment", "ref": "appt-77"},
        ),
    )
    await patient.next_text(1)
    await patient.reply("CANCEL")
    # CANCEL is one of Twilio's STOP words: Twilio confirms it and blocks the number (default
    # handling), so the visit is the clinic's to call back about (AppointmentChangeRequested).
    await eventually(patient.auto_replies, timeout=30, message="Twilio's confirmation")
    assert "unsubscribed" in patient.auto_replies()[0]
    changes = await events_on(
        kafka,
        prefix,
        topics.APPOINTMENTS,
        lambda es: any(isinstance(e, ev.AppointmentChangeRequested) for e in es),
    )
    [change] = [e for e in changes if isinstance(e, ev.AppointmentChangeRequested)]
    assert (change.patient_id, change.appointment_id, change.request) == (
        patient.id,
        "appt-77",
        "cancel",
    )
    consent = await events_on(
        kafka,
        prefix,
        topics.PATIENTS,
        lambda es: any(isinstance(e, ev.ConsentChanged) and e.status == "revoked" for e in es),
    )
    assert [e.patient_id for e in consent if getattr(e, "status", "") == "revoked"] == [patient.id]
    assert len(patient.texts()) == 1  # the reminder; nothing was tried after the block
    assert fake.opt_out["refused"] == []


async def test_a_phq9_with_a_null_item_and_item9_pages_and_texts(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    service_env: dict[str, str],
    tmp_path: Path,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: Service[Context],
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    clinician, phone = f"c-{uuid.uuid4().hex[:6]}", f"+1512555{uuid.uuid4().int % 10000:04d}"
    with escalation_process(service_env, tmp_path, relay_interval_seconds="0.5"):
        await publish(
            kafka,
            prefix,
            ev.ClinicianRegistered(
                clinician_id=clinician, phone=phone, display_name="On Call", sites=["austin"]
            ),
            roster_now("austin", primary=clinician, backup=None, director=None),
        )
        answers: list[dict[str, Any]] = [{"item": str(i), "value": 0} for i in range(1, 9)]
        answers[5] = {"item": "6", "value": None}  # "not answered", as EHRs encode it
        answers.append({"item": "9", "value": 1})
        await produce_raw(
            kafka,
            prefix + topics.SYMPTOMS,
            [
                raw(
                    "QuestionnaireCompleted",
                    patient_id=patient.id,
                    site_id="austin",
                    response_id=f"qr-{uuid.uuid4().hex[:8]}",
                    instrument="PHQ-9",
                    answers=answers,
                )
            ],
            key=patient.id.encode(),
        )
        assert "988" in await patient.next_text(1)
        await eventually(
            lambda: [m for m in fake.messages if m["to"] == phone and "URGENT" in m["body"]],
            timeout=60,
            message="the on-call clinician is paged",
        )
    assert await read_all(kafka, prefix + topics.dlq(topics.SYMPTOMS)) == []


async def test_an_unreadable_phq9_still_raises_item9_once_and_warns_at_once(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: Service[Context],
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    record = raw(
        "QuestionnaireCompleted",
        patient_id=patient.id,
        site_id="austin",
        response_id="qr-broken-1",
        instrument="PHQ-9",
        occurred_at="yesterday",
        channel="fax",
        answers=[{"item": "3", "value": "lots"}, {"item": "9", "value": "2"}],
    )
    # Sent twice (a producer retry, a replay): still one alert and one crisis text.
    await produce_raw(kafka, prefix + topics.SYMPTOMS, [record, record], key=patient.id.encode())
    alerts = await events_on(
        kafka,
        prefix,
        topics.ALERTS,
        lambda es: bool(
            alerts_for(es, patient.id, "SYM-PHQ9-ITEM9")
            and len(
                [
                    e
                    for e in es
                    if isinstance(e, ev.OperationalWarning)
                    and e.warning == "safety_lane_dead_letter"
                ]
            )
            >= 2
        ),
    )
    assert len(alerts_for(alerts, patient.id, "SYM-PHQ9-ITEM9")) == 1
    warnings = [
        e
        for e in alerts
        if isinstance(e, ev.OperationalWarning) and e.warning == "safety_lane_dead_letter"
    ]
    assert len(warnings) == 2  # one per dead letter, each at once
    assert patient.id not in json.dumps([w.model_dump(mode="json") for w in warnings])
    dead = await read_all(kafka, prefix + topics.dlq(topics.SYMPTOMS))
    assert len(dead) == 2
    assert "988" in await patient.next_text(1)
    await eventually(lambda: True)
    assert len(patient.texts()) == 1


async def test_side_effects_in_words_raise_the_clozapine_neutropenia_flag(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: Service[Context],
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    await publish(
        kafka,
        prefix,
        sample(
            ev.MedicationPlanStarted,
            patient_id=patient.id,
            plan_id="plan-cloz",
            drug="clozapine",
            drug_class="antipsychotic",
            zone=ZONE,
            start_date=date.today(),
        ),
    )
    state = SymptomState(redis, f"{namespace}:symptoms")
    await eventually(
        lambda: state.plan(patient.id, "plan-cloz"), timeout=30, message="the plan is known"
    )
    reports = [("r-en", "Sore Throat"), ("r-es", "dolor de garganta")]
    await produce_raw(
        kafka,
        prefix + topics.SYMPTOMS,
        [
            raw(
                "SideEffectReported",
                patient_id=patient.id,
                site_id="austin",
                report_id=report_id,
                effects=[{"code": words, "severity": 2}],
                occurred_at=datetime.now(UTC).isoformat(),
            )
            for report_id, words in reports
        ],
        key=patient.id.encode(),
    )
    alerts = await events_on(
        kafka,
        prefix,
        topics.ALERTS,
        lambda es: len(alerts_for(es, patient.id, "SE-CLOZ-NEUTRO")) >= 2,
    )
    found = alerts_for(alerts, patient.id, "SE-CLOZ-NEUTRO")
    details = [" ".join(e.detail for e in a.evidence) for a in found]
    for _, words in reports:
        assert any(f'reported as "{words}"' in d for d in details), (words, details)


async def test_a_reused_event_id_is_refused_by_every_service_with_the_reason(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: Service[Context],
) -> None:
    patient = Patient(gateway, fake)
    event_id = str(uuid.uuid4())
    enrol = {
        "event_type": "PatientEnrolled",
        "event_id": event_id,
        "patient_id": patient.id,
        "site_id": "austin",
        "phone": patient.phone,
        "zone": ZONE,
    }
    moved = {
        **enrol,
        "event_type": "PatientContactChanged",
        "phone": AUSTIN.replace("0100", "0999"),
    }
    await produce_raw(
        kafka,
        prefix + topics.PATIENTS,
        [json.dumps(enrol).encode(), json.dumps(moved).encode(), json.dumps(enrol).encode()],
        key=patient.id.encode(),
    )

    async def refused() -> list[Any]:
        dead = await read_all(kafka, prefix + topics.dlq(topics.PATIENTS))
        return dead if len(dead) >= 2 else []

    dead = await eventually(refused, timeout=60, message="both consumers refused the reuse")
    groups = sorted(dict(d.headers)["consumer_group"].decode().split("-")[1] for d in dead)
    assert groups == ["dispatcher", "symptoms"]
    for letter in dead:
        reason = dict(letter.headers)["error"].decode()
        assert f"event_id {event_id} already identifies a PatientEnrolled" in reason
        assert patient.phone not in reason
    contact = await dispatcher.directory.get("patient", patient.id)
    assert contact is not None and contact.phone == patient.phone
