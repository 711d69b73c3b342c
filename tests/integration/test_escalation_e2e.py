"""Escalation end to end: the escalation process pages through the dispatcher and the fake
Twilio; replies come back as signed SMS webhooks to the gateway process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, FakeTwilio
from deploy.local.find_infra import Infra
from services.dispatcher.context import Context as DispatcherContext
from services.dispatcher.settings import DispatcherSettings
from services.escalation.model import AlertState
from services.escalation.state import Keys
from shared import topics
from shared.events import AlertAcknowledged, ClinicalAlertRaised, ClinicianRegistered
from shared.timers import Timers
from tests.integration.dispatcher_procs.support import publish, running
from tests.integration.escalation_procs.support import escalation_process, events, roster_now
from tests.integration.gateway_support import TOKEN, GatewayProcess, gateway_process, post_signed
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

AUSTIN = "+15125550100"  # the dispatcher's default sender for the Austin site
FAST = {
    "ladders__p0__delays_seconds": "[0, 3, 3]",
    "ladders__p0__repeat_every_seconds": "600",
    "timer_lease_seconds": "2",
    "step_claim_seconds": "1",
    "relay_interval_seconds": "0.5",
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    # Signs its status callbacks with the token the gateway checks them against.
    twilio = FakeTwilio(auth_token=TOKEN)
    twilio.start()
    yield twilio
    twilio.stop()


@pytest.fixture
def gateway(service_env: dict[str, str], tmp_path: Path) -> Iterator[GatewayProcess]:
    with gateway_process(service_env, tmp_path) as gw:
        yield gw


@pytest.fixture
async def dispatcher(
    kafka: str,
    prefix: str,
    infra: Infra,
    namespace: str,
    redis: Redis,
    fake: FakeTwilio,
    gateway: GatewayProcess,
) -> AsyncIterator[DispatcherContext]:
    fake.reset()
    await gateway.wait_ready()
    settings = DispatcherSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        twilio={"account_sid": DEFAULT_ACCOUNT_SID, "auth_token": TOKEN, "base_url": fake.base_url},
        log={"level": "WARNING"},
        dispatcher={
            "status_callback_url": gateway.url + "/twilio/status",
            "backoff_base_seconds": 0.05,
            "backoff_max_seconds": 0.2,
            "ambiguous_settle_seconds": 0.1,
            "twilio_timeout_seconds": 5.0,
        },
    )
    async with running(settings) as handlers:
        yield handlers


@dataclass
class Team:
    ids: list[str]
    phones: dict[str, str]

    def texts(self, fake: FakeTwilio, clinician: str) -> list[dict[str, Any]]:
        return [m for m in fake.messages if m["to"] == self.phones[clinician]]


async def on_call_team(
    kafka: str, prefix: str, redis: Redis, namespace: str, dispatcher: DispatcherContext
) -> Team:
    """Three clinicians with fresh numbers, on call in Austin, known to both services."""
    suffix = uuid.uuid4().hex[:6]
    ids = [f"c-{role}-{suffix}" for role in ("primary", "backup", "director")]
    phones = {cid: f"+1512555{(uuid.uuid4().int + i) % 10000:04d}" for i, cid in enumerate(ids)}
    assert len(set(phones.values())) == 3
    await publish(
        kafka,
        prefix,
        *(
            ClinicianRegistered(
                clinician_id=cid, phone=phones[cid], display_name="On Call", sites=["austin"]
            )
            for cid in ids
        ),
        roster_now("austin", primary=ids[0], backup=ids[1], director=ids[2]),
    )
    roster_key = Keys(f"{namespace}:escalation").roster("austin")

    async def known() -> bool:
        directory = [await dispatcher.directory.get("clinician", c) for c in ids]
        return bool(await redis.exists(roster_key)) and all(directory)

    await eventually(known, timeout=60, message="roster and clinicians known to both services")
    return Team(ids, phones)


def raised(alert_id: str) -> ClinicalAlertRaised:
    return ClinicalAlertRaised(
        patient_id="p-e2e",
        site_id="austin",
        alert_id=alert_id,
        severity="P0",
        rule_id="SYM-CSSRS-Q4",
        dedup_key=f"p-e2e:{alert_id}",
        source="symptoms",
    )


async def reply(gateway: GatewayProcess, phone: str, body: str) -> None:
    """An SMS from `phone` to the clinic, as Twilio posts it to the gateway, signed."""
    sid = "SM" + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": DEFAULT_ACCOUNT_SID,
        "From": phone,
        "To": AUSTIN,
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
    }
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        response = await post_signed(client, gateway.url, "/twilio/sms", params)
    assert response.status_code == 200


async def test_pages_go_out_in_order_and_a_signed_ack_from_the_backup_stops_them(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    service_env: dict[str, str],
    tmp_path: Path,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
) -> None:
    with escalation_process(service_env, tmp_path, **FAST) as esc:
        team = await on_call_team(kafka, prefix, redis, namespace, dispatcher)
        primary, backup, director = team.ids
        await publish(kafka, prefix, raised("al-e2e-1"))
        await eventually(lambda: team.texts(fake, primary), timeout=60, message="primary paged")
        [first] = team.texts(fake, primary)
        code = first["body"].split("code ")[1].split(".")[0]
        # The same words from a number that was never paged change nothing.
        await reply(gateway, "+15125550999", f"ACK {code}")
        await eventually(lambda: team.texts(fake, director), timeout=60, message="director paged")
        await reply(gateway, team.phones[backup], f"ACK {code}")
        audit = await events(
            kafka,
            prefix,
            topics.ALERTS,
            lambda es: any(
                isinstance(e, AlertAcknowledged) and e.source == "escalation" for e in es
            ),
        )
        await eventually(
            lambda: len(team.texts(fake, primary)) == 2 and len(team.texts(fake, director)) == 2,
            timeout=30,
            message="acknowledged-by notices to the others paged",
        )
        raw = await redis.get(Keys(f"{namespace}:escalation").alert("al-e2e-1"))
        timers = Timers(redis, f"{namespace}:escalation", "alerts")
        pending = await timers.pending()
        assert esc.alive(), esc.output()[-3000:]
    pages = sorted(
        (m for c in team.ids for m in team.texts(fake, c) if "URGENT" in m["body"]),
        key=lambda m: m["accepted_at"],
    )
    assert [next(c for c in team.ids if team.phones[c] == m["to"]) for m in pages] == team.ids
    assert first["body"] == (
        f"Northside Clinic: URGENT P0 alert, code {code}. Check the on-call "
        f"queue now. Reply ACK {code} to acknowledge."
    )
    assert all("p-e2e" not in m["body"] for m in fake.messages)  # no patient in any text
    notices = [
        m["body"]
        for c in (primary, director)
        for m in team.texts(fake, c)
        if "URGENT" not in m["body"]
    ]
    assert (
        notices
        == [f"Northside Clinic: alert {code} has been acknowledged. No action needed from you."] * 2
    )
    assert len(team.texts(fake, backup)) == 1  # the one who acknowledged gets no notice
    acks = [e for e in audit if isinstance(e, AlertAcknowledged)]
    dispatcher_reads = [(a.clinician_id, a.source) for a in acks if a.source != "escalation"]
    assert dispatcher_reads == [(backup, "dispatcher")]  # the stranger's ACK never got this far
    assert [(a.alert_id, a.clinician_id) for a in acks if a.source == "escalation"] == [
        ("al-e2e-1", backup)
    ]
    assert raw is not None
    state = AlertState.model_validate_json(raw)
    # The one timer left is the alert's resolve-by check (acknowledged is not resolved).
    assert (state.status, state.acknowledged_by, pending) == ("acknowledged", backup, 1)


async def test_a_page_the_carrier_reports_undelivered_escalates_at_once(
    kafka: str,
    prefix: str,
    redis: Redis,
    namespace: str,
    service_env: dict[str, str],
    tmp_path: Path,
    fake: FakeTwilio,
    gateway: GatewayProcess,
    dispatcher: DispatcherContext,
) -> None:
    slow = {**FAST, "ladders__p0__delays_seconds": "[0, 300, 300]"}
    with escalation_process(service_env, tmp_path, **slow) as esc:
        team = await on_call_team(kafka, prefix, redis, namespace, dispatcher)
        primary, backup, _ = team.ids
        fake.set_faults(undelivered_by_number={team.phones[primary]: 30003})
        await publish(kafka, prefix, raised("al-e2e-2"))
        await eventually(
            lambda: team.texts(fake, backup),
            timeout=60,
            message="backup paged long before its 300 s wait",
        )
        assert esc.alive(), esc.output()[-3000:]
    [to_primary] = team.texts(fake, primary)
    [to_backup] = team.texts(fake, backup)
    assert to_primary["status"] == "undelivered"
    assert "URGENT P0" in to_backup["body"]
