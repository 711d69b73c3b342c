"""A clinician's STOP is not a patient's (ESC-CLINICIAN-STOP): pages are clinical operations, so
an opt-out from an on-call clinician's phone changes no consent; the site's director is told (the
roster decides who is paged). An opt-out Twilio does not know ("stop texting me", "Stop please")
leaves the number open: the clinician is told pages cannot be stopped by text, and the next P0
still pages them. Twilio's own STOP word blocks the number at Twilio (default handling): Twilio
confirms it, the dispatcher records the block (pages to it are suppressed, never refused) and
cannot answer. The fake Twilio, the gateway and the escalation service as processes, the
dispatcher in this process, on the real Kafka and Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from deploy.local.fake_twilio import FakeTwilio
from services.dispatcher.context import Context as DispatcherContext
from services.escalation.state import Keys
from shared import topics
from shared.events import (
    ClinicalAlertRaised,
    ClinicianRegistered,
    ConsentChanged,
    NotificationRequested,
    OperationalWarning,
    parse_event,
    phone_key,
)
from tests.integration.dispatcher_procs.support import publish
from tests.integration.escalation_procs.support import escalation_process, events, roster_now
from tests.integration.gateway_support import GatewayProcess, read_all
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

AUSTIN = "+15125550100"  # the dispatcher's sender for the Austin site: what the clinicians text
FAST = {
    "ladders__p0__delays_seconds": "[0, 3, 3]",
    "ladders__p0__repeat_every_seconds": "600",
    "timer_lease_seconds": "2",
    "step_claim_seconds": "1",
    "relay_interval_seconds": "0.5",
}
WORDS = {"primary": "stop texting me", "backup": "Stop please", "other": "STOP"}
"""Who texts what: the primary and backup on call now, and a clinician of the site off shift
(the one word Twilio itself acts on)."""
OPEN = ("primary", "backup")
"""Whose number stays open at Twilio."""
REPLY = "cannot be stopped by text"


async def text_clinic(fake: FakeTwilio, gateway: GatewayProcess, phone: str, body: str) -> None:
    """An SMS from `phone` to the Austin number: the fake Twilio's keyword handling, then its
    signed webhook to the gateway."""
    url = gateway.url + "/twilio/sms"
    done = await asyncio.to_thread(fake.inbound, phone, AUSTIN, body, url=url)
    assert done["webhook_status"] == 200, done


def texts_to(fake: FakeTwilio, phone: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages if m["to"] == phone]


async def test_stop_end_and_cancel_from_clinicians_change_no_consent_and_pages_go_on(
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
    suffix = uuid.uuid4().hex[:6]
    ids = {role: f"c-{role}-{suffix}" for role in ("primary", "backup", "director", "other")}
    phones = {
        role: f"+1512555{2000 + (uuid.uuid4().int + i) % 8000:04d}" for i, role in enumerate(ids)
    }
    assert len(set(phones.values())) == len(phones)
    with escalation_process(service_env, tmp_path, **FAST) as esc:
        await publish(
            kafka,
            prefix,
            *(
                ClinicianRegistered(
                    clinician_id=cid, phone=phones[role], display_name="On Call", sites=["austin"]
                )
                for role, cid in ids.items()
            ),
            roster_now(
                "austin", primary=ids["primary"], backup=ids["backup"], director=ids["director"]
            ),
        )
        keys = Keys(f"{namespace}:escalation")

        async def known() -> bool:
            directory = [await dispatcher.directory.get("clinician", c) for c in ids.values()]
            escalation = [keys.roster("austin"), *(keys.clinician(c) for c in ids.values())]
            return all(directory) and int(await redis.exists(*escalation)) == len(escalation)

        await eventually(known, timeout=60, message="clinicians and roster known to both")

        for role, word in WORDS.items():
            await text_clinic(fake, gateway, phones[role], word)
        await eventually(
            lambda: all(
                any(REPLY in m["body"] for m in texts_to(fake, phones[role])) for role in OPEN
            ),
            timeout=60,
            message="each clinician with an open number told that pages cannot be stopped",
        )

        def stop_warnings(evs: list[Any]) -> list[OperationalWarning]:
            return [
                e
                for e in evs
                if isinstance(e, OperationalWarning) and e.warning == "clinician_stop_request"
            ]

        alerts = await events(
            kafka, prefix, topics.ALERTS, lambda es: len(stop_warnings(es)) >= len(WORDS)
        )

        def lead_notices(evs: list[Any]) -> list[NotificationRequested]:
            return [
                e
                for e in evs
                if isinstance(e, NotificationRequested) and e.template_id == "site_lead_notice"
            ]

        routine = await events(
            kafka,
            prefix,
            topics.NOTIFY_ROUTINE,
            lambda es: len(lead_notices(es)) >= len(WORDS),
        )

        # The next P0 for their site still pages the primary, who texted STOP.
        await publish(
            kafka,
            prefix,
            ClinicalAlertRaised(
                patient_id="p-stop",
                site_id="austin",
                alert_id=f"al-stop-{suffix}",
                severity="P0",
                rule_id="SYM-CSSRS-Q4",
                dedup_key=f"p-stop:{suffix}",
                source="symptoms",
            ),
        )
        await eventually(
            lambda: [m for m in texts_to(fake, phones["primary"]) if "URGENT P0" in m["body"]],
            timeout=60,
            message="the primary paged at the fake Twilio",
        )
        assert esc.alive(), esc.output()[-3000:]
        opted_out = [
            role
            for role, phone in phones.items()
            if await dispatcher.directory.opt_out_state(phone_key(phone)) is not None
        ]

    warnings = stop_warnings(alerts)
    assert sorted(w.clinician_id or "" for w in warnings) == sorted(ids[r] for r in WORDS)
    assert {(w.source, w.site_id) for w in warnings} == {("dispatcher", "austin")}
    notices = lead_notices(routine)
    assert {n.recipient.id for n in notices} == {ids["director"]}
    assert sorted(n.variables["clinician"] for n in notices) == sorted(ids[r] for r in WORDS)
    assert {(n.category, n.priority, n.patient_id) for n in notices} == {
        ("clinician_notice", "routine", None)
    }
    patients = [
        parse_event(topics.PATIENTS, json.loads(r.value))
        for r in await read_all(kafka, prefix + topics.PATIENTS)
    ]
    assert [e for e in patients if isinstance(e, ConsentChanged)] == []
    assert opted_out == ["other"]  # as Twilio has it: blocked after its STOP word
    for role in OPEN:
        [reply] = [m for m in texts_to(fake, phones[role]) if REPLY in m["body"]]
        assert reply["from"] == AUSTIN, reply
    assert texts_to(fake, phones["other"]) == []
    assert [r["keyword"] for r in fake.auto_replies if r["to"] == phones["other"]] == ["STOP"]
    assert fake.opt_out["refused"] == []
    [blocked] = [w for w in warnings if w.clinician_id == ids["other"]]
    assert "Twilio blocks" in blocked.detail
    [page] = [m for m in texts_to(fake, phones["primary"]) if "URGENT P0" in m["body"]]
    assert page["status"] in ("queued", "sent", "delivered"), page
