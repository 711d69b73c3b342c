"""SMS check-ins end to end on the real Kafka and Redis: the symptoms service opens a session
on its plan's timer (fake clock, fired by hand), the dispatcher texts each item to the fake
Twilio, and every reply is a signed inbound SMS posted to the gateway process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from deploy.local.fake_twilio import FakeTwilio
from deploy.local.find_infra import Infra
from services.dispatcher.context import Context as DispatcherContext
from services.symptoms.app import build
from services.symptoms.context import Context
from services.symptoms.settings import SymptomsSettings
from shared import events as ev
from shared import topics
from shared.clock import FakeClock
from shared.runtime import Service
from shared.testing.factories import sample
from tests.integration.checkins_support import ZONE, enrolled, fire, of_session, plan
from tests.integration.dispatcher_procs.support import events_on, publish
from tests.integration.gateway_support import (
    GatewayProcess,
    read_all,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def target() -> datetime:
    """When the check-in falls due: two minutes from now, on a whole minute (plans are HH:MM)."""
    return (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)


@pytest.fixture
async def symptoms(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Redis, target: datetime
) -> AsyncIterator[tuple[Service[Context], FakeClock]]:
    """The symptoms service in this process on a fake clock; its timers fire when told."""
    clock = FakeClock(datetime.now(UTC))
    local = target.astimezone(ZoneInfo(ZONE))
    settings = SymptomsSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        log={"level": "WARNING"},
        symptoms={"checkin_local_time": f"{local:%H:%M}"},
    )
    svc = build(settings, clock=clock)
    async with svc.runtime.lifespan():
        await svc.runtime.broker.start()
        try:
            yield svc, clock
        finally:
            await svc.runtime.broker.stop()


async def test_phq2_2_and_2_goes_on_into_the_phq9_and_item9_sends_the_crisis_text(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: tuple[Service[Context], FakeClock],
    target: datetime,
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    await publish(kafka, prefix, plan(patient, "PHQ-2", target))
    await fire(symptoms, patient, "PHQ-2", target)
    assert (await patient.next_text(1)).startswith("Northside Clinic: Q1/2 In the past 2 weeks")
    await patient.reply("2")
    assert (await patient.next_text(2)).startswith("Northside Clinic: Q2/2 ")
    await patient.reply(" 2 ")
    assert (await patient.next_text(3)).startswith("Northside Clinic: Q3/9 ")  # the gate
    await patient.reply("22")  # unclear: asked again, once
    assert (await patient.next_text(4)).startswith(
        "Northside Clinic: Please answer with one number. Q3/9"
    )
    await patient.reply("two")
    count = 4
    for answer in ("1", "0", "dos", "0", "0", "1"):  # items 4-9; item 9 = 1
        count += 1
        await patient.next_text(count)
        await patient.reply(answer)
    crisis = await patient.next_text(count + 1)
    assert "988" in crisis and "911" in crisis
    alerts = await events_on(
        kafka,
        prefix,
        topics.ALERTS,
        lambda es: any(getattr(e, "rule_id", "") == "SYM-PHQ9-ITEM9" for e in es),
    )
    done = await events_on(
        kafka,
        prefix,
        topics.SYMPTOMS,
        lambda es: any(
            isinstance(e, ev.QuestionnaireCompleted) and e.instrument == "PHQ-9" for e in es
        ),
    )
    texts = patient.texts()
    assert [t.split(" ")[2] for t in texts[:10] if t.startswith("Northside Clinic: Q")] == [
        "Q1/2",
        "Q2/2",
        "Q3/9",
        "Q4/9",
        "Q5/9",
        "Q6/9",
        "Q7/9",
        "Q8/9",
        "Q9/9",
    ]
    assert len(texts) == 11 and texts[-1] == crisis
    assert not any(word in t for t in texts for word in ("PHQ", "depress", patient.id))
    item9 = [
        (a.rule_id, a.severity)
        for a in of_session(alerts, patient)
        if isinstance(a, ev.ClinicalAlertRaised) and a.rule_id == "SYM-PHQ9-ITEM9"
    ]
    assert item9 == [("SYM-PHQ9-ITEM9", "P1")]
    responses = {
        (e.instrument, e.status): [(a.item, a.value) for a in e.answers]
        for e in of_session(done, patient)
        if isinstance(e, ev.QuestionnaireCompleted)
    }
    assert responses[("PHQ-2", "completed")] == [("1", 2), ("2", 2)]
    assert [v for _, v in responses[("PHQ-9", "completed")]] == [2, 2, 2, 1, 0, 2, 0, 0, 1]
    # The page went out while the session was still open: before the completed PHQ-9.
    paged = min(
        r.timestamp
        for r in await read_all(kafka, prefix + topics.ALERTS)
        if patient.id in r.value.decode() and b"SYM-PHQ9-ITEM9" in r.value
    )
    ended = min(
        r.timestamp
        for r in await read_all(kafka, prefix + topics.SYMPTOMS)
        if patient.id in r.value.decode()
        and b'"status":"completed"' in r.value
        and b'"instrument":"PHQ-9"' in r.value
    )
    assert paged <= ended


async def test_a_side_effect_check_after_a_lamotrigine_start_raises_the_rash_alert(
    kafka: str,
    prefix: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: tuple[Service[Context], FakeClock],
    target: datetime,
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    started = target.astimezone(ZoneInfo(ZONE)).date() - timedelta(days=7)
    await publish(
        kafka,
        prefix,
        sample(
            ev.MedicationPlanStarted,
            patient_id=patient.id,
            site_id="austin",
            plan_id=f"ltg-{patient.id}",
            drug="lamotrigine",
            drug_class="anticonvulsant",
            zone=ZONE,
            start_date=started,
        ),
    )
    # The side-effect window: a check-in a week after the start, at the configured time.
    await fire(symptoms, patient, "side_effects", target)
    checklist = await patient.next_text(1)
    assert "6 rash" in checklist and "0 none" in checklist
    await patient.reply("6")
    assert "the rash" in await patient.next_text(2)
    await patient.reply("2")
    alerts = await events_on(
        kafka,
        prefix,
        topics.ALERTS,
        lambda es: any(getattr(e, "rule_id", "") == "SE-LTG-RASH" for e in es),
    )
    [rash] = [a for a in of_session(alerts, patient) if a.rule_id == "SE-LTG-RASH"]
    assert rash.severity == "P1"
    assert len(patient.texts()) == 2  # P1: no crisis text
    assert not any("lamotrigine" in t or "rash_new" in t for t in patient.texts())


async def test_stop_in_the_middle_ends_the_session_and_revokes_consent(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
    symptoms: tuple[Service[Context], FakeClock],
    target: datetime,
) -> None:
    patient = await enrolled(kafka, prefix, dispatcher, gateway, fake)
    await publish(kafka, prefix, plan(patient, "PHQ-2", target))
    await fire(symptoms, patient, "PHQ-2", target)
    await patient.next_text(1)
    await patient.reply("3")
    await patient.next_text(2)
    await patient.reply("STOP")
    # Twilio confirms it (default handling) and blocks the number; nothing of ours follows.
    await eventually(patient.auto_replies, timeout=30, message="Twilio's STOP confirmation")
    assert "unsubscribed" in patient.auto_replies()[0]
    consents = await events_on(
        kafka,
        prefix,
        topics.PATIENTS,
        lambda es: any(isinstance(e, ev.ConsentChanged) and e.patient_id == patient.id for e in es),
    )
    [revoked] = [e for e in of_session(consents, patient) if isinstance(e, ev.ConsentChanged)]
    assert (revoked.status, revoked.channel) == ("revoked", "sms_keyword")
    stored = await events_on(
        kafka,
        prefix,
        topics.SYMPTOMS,
        lambda es: any(
            isinstance(e, ev.QuestionnaireCompleted) and e.patient_id == patient.id for e in es
        ),
    )
    [response] = [
        e for e in of_session(stored, patient) if isinstance(e, ev.QuestionnaireCompleted)
    ]
    assert (response.status, [(a.item, a.value) for a in response.answers]) == (
        "in_progress",
        [("1", 3)],
    )
    # An answer after the STOP is still read (and seen by the rules), but asks nothing more.
    await patient.reply("3")
    answered = await events_on(
        kafka,
        prefix,
        topics.SYMPTOMS,
        lambda es: (
            sum(
                isinstance(e, ev.QuestionnaireItemAnswered) and e.patient_id == patient.id
                for e in es
            )
            == 2
        ),
    )
    late = [e for e in of_session(answered, patient) if isinstance(e, ev.QuestionnaireItemAnswered)]
    claim = f"{namespace}:symptoms:claim:item:{late[-1].event_id}"

    async def handled() -> bool:
        raw = await redis.get(claim)
        return isinstance(raw, bytes) and raw.decode("utf-8").startswith("done:")

    await eventually(handled, timeout=60, message="the late answer handled by symptoms")
    routine = [
        ev.parse_event(topics.NOTIFY_ROUTINE, json.loads(r.value))
        for r in await read_all(kafka, prefix + topics.NOTIFY_ROUTINE)
    ]
    items = [e for e in of_session(routine, patient) if isinstance(e, ev.NotificationRequested)]
    assert [e.variables["item"] for e in items] == ["1", "2"]
    assert len(patient.texts()) == 2  # two items; the opt-out confirmation was Twilio's
    assert len(patient.auto_replies()) == 1
    assert fake.opt_out["refused"] == []
