"""The escalation service as a process against the real Kafka and Redis, time scaled down."""

from __future__ import annotations

import asyncio
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from services.escalation.model import AlertState
from services.escalation.state import Keys
from shared import topics
from shared.events import (
    AlertAcknowledged,
    AlertEscalated,
    AlertPaged,
    AlertResolved,
    ClinicalAlertRaised,
    ClinicianRegistered,
    Event,
    NotificationFailed,
    NotificationRequested,
)
from shared.timers import Timers
from tests.integration.dispatcher_procs.support import publish
from tests.integration.escalation_procs.support import (
    EscalationProcess,
    escalation_process,
    events,
    pages,
    roster_now,
    urgent,
)
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

PRIMARY, BACKUP, DIRECTOR = "c-primary", "c-backup", "c-director"
LADDER = [PRIMARY, BACKUP, DIRECTOR]
# Seconds for minutes: the backup after 3 s, the director 3 s later, no repeat within a test.
FAST = {
    "ladders__p0__delays_seconds": "[0, 3, 3]",
    "ladders__p0__repeat_every_seconds": "600",
    "timer_lease_seconds": "2",
    "step_claim_seconds": "1",
    "relay_interval_seconds": "0.5",
}


def clinicians() -> list[Event]:
    return [
        ClinicianRegistered(
            clinician_id=c,
            phone=f"+1512555{7000 + i:04d}",
            display_name=f"Clinician {i}",
            sites=["austin"],
        )
        for i, c in enumerate(LADDER)
    ]


def raised(alert_id: str = "al-int-1") -> ClinicalAlertRaised:
    return ClinicalAlertRaised(
        patient_id="p-int",
        site_id="austin",
        alert_id=alert_id,
        severity="P0",
        rule_id="SYM-CSSRS-Q4",
        dedup_key=f"p-int:{alert_id}",
        source="symptoms",
    )


async def setup(kafka: str, prefix: str, redis: Redis, namespace: str) -> None:
    """Clinicians and Austin's roster, stored by the service before any alert is raised."""
    await publish(
        kafka,
        prefix,
        *clinicians(),
        roster_now("austin", primary=PRIMARY, backup=BACKUP, director=DIRECTOR),
    )
    key = Keys(f"{namespace}:escalation").roster("austin")

    async def stored() -> bool:
        return bool(await redis.exists(key))

    await eventually(stored, timeout=60, message="roster stored by the service")


def paged_count(n: int) -> Any:
    """At least n distinct pages (a page re-published after a crash keeps its id)."""
    return lambda evs: len({p.notification_id for p in pages(evs)}) >= n


async def alert_state(redis: Redis, namespace: str, alert_id: str) -> AlertState | None:
    raw = await redis.get(Keys(f"{namespace}:escalation").alert(alert_id))
    return AlertState.model_validate_json(raw) if raw else None


def assert_alive(proc: EscalationProcess) -> None:
    assert proc.alive(), f"escalation exited:\n{proc.output()[-3000:]}"


async def test_a_p0_pages_primary_backup_director_in_order_and_an_ack_stops_it(
    kafka: str,
    prefix: str,
    namespace: str,
    redis: Redis,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    with escalation_process(service_env, tmp_path, **FAST) as proc:
        await setup(kafka, prefix, redis, namespace)
        await publish(kafka, prefix, raised())
        first = await urgent(kafka, prefix, paged_count(1))
        code = pages(first)[0].variables["code"]
        # Someone who was never paged replies ACK: nothing changes.
        await publish(
            kafka,
            prefix,
            AlertAcknowledged(code=code, clinician_id="c-stranger", source="dispatcher"),
        )
        got = await urgent(kafka, prefix, paged_count(3), timeout=60)
        assert_alive(proc)
        await publish(
            kafka, prefix, AlertAcknowledged(code=code, clinician_id=BACKUP, source="dispatcher")
        )
        audit = await events(
            kafka,
            prefix,
            topics.ALERTS,
            lambda es: any(
                isinstance(e, AlertAcknowledged) and e.source == "escalation" for e in es
            ),
        )

        async def stopped() -> bool:
            state = await alert_state(redis, namespace, "al-int-1")
            return state is not None and state.status == "acknowledged"

        await eventually(stopped, message="alert acknowledged")
        timers = Timers(redis, f"{namespace}:escalation", "alerts")

        async def resolve_by_check() -> bool:
            # The ladder's timer is now the alert's resolve-by check (an hour away).
            _, payload = await timers.get("al-int-1")
            return await timers.pending() == 1 and payload == {"unresolved": 3}

        await eventually(resolve_by_check, message="ladder timer replaced by the resolve-by check")
        after = await urgent(
            kafka,
            prefix,
            lambda es: (
                len(
                    [
                        e
                        for e in es
                        if isinstance(e, NotificationRequested)
                        and e.template_id == "clinician_notice"
                    ]
                )
                >= 2
            ),
        )
    ladder = pages(got)
    assert [p.recipient.id for p in ladder] == LADDER
    assert [p.variables for p in ladder] == [{"severity": "P0", "code": code, "site": "Austin"}] * 3
    gaps = [(b.occurred_at - a.occurred_at).total_seconds() for a, b in pairwise(ladder)]
    assert all(2.9 <= g < 10 for g in gaps), gaps
    assert [p.recipient.id for p in pages(after)] == LADDER  # nothing paged after the ACK
    notices = [
        e.recipient.id
        for e in after
        if isinstance(e, NotificationRequested) and e.template_id == "clinician_notice"
    ]
    assert sorted(notices) == [DIRECTOR, PRIMARY]
    acks = [e for e in audit if isinstance(e, AlertAcknowledged) and e.source == "escalation"]
    assert [(a.alert_id, a.clinician_id, a.code) for a in acks] == [("al-int-1", BACKUP, code)]
    steps = sorted(
        (e.step, e.clinician_id)
        for e in audit
        if isinstance(e, AlertPaged) and e.delivery == "requested"
    )
    assert steps == [(0, PRIMARY), (1, BACKUP), (2, DIRECTOR)]
    escalated = sorted(
        (e.from_step, e.to_step, e.reason) for e in audit if isinstance(e, AlertEscalated)
    )
    assert escalated == [(0, 1, "no_ack"), (1, 2, "no_ack")]


async def test_a_page_reported_undelivered_escalates_at_once(
    kafka: str,
    prefix: str,
    namespace: str,
    redis: Redis,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    slow = {**FAST, "ladders__p0__delays_seconds": "[0, 120, 120]"}
    with escalation_process(service_env, tmp_path, **slow) as proc:
        await setup(kafka, prefix, redis, namespace)
        await publish(kafka, prefix, raised("al-int-2"))
        [first] = pages(await urgent(kafka, prefix, paged_count(1)))
        await publish(
            kafka,
            prefix,
            NotificationFailed(
                notification_id=first.notification_id,
                recipient=first.recipient,
                category="clinician_page",
                error_code=30003,
                stage="delivery",
                source="dispatcher",
            ),
        )
        got = await urgent(kafka, prefix, paged_count(2), timeout=30)  # not 120 s
        audit = await events(
            kafka, prefix, topics.ALERTS, lambda es: any(isinstance(e, AlertEscalated) for e in es)
        )
        assert_alive(proc)
    ladder = pages(got)
    assert [p.recipient.id for p in ladder] == [PRIMARY, BACKUP]
    assert (ladder[1].occurred_at - ladder[0].occurred_at).total_seconds() < 60
    [escalated] = [e for e in audit if isinstance(e, AlertEscalated)]
    assert (escalated.from_step, escalated.to_step, escalated.reason) == (0, 1, "undelivered")
    failed = [e for e in audit if isinstance(e, AlertPaged) and e.delivery == "failed"]
    assert [(e.step, e.clinician_id) for e in failed] == [(0, PRIMARY)]


async def test_killed_mid_ladder_it_resumes_without_skipping_or_repeating_a_step(
    kafka: str,
    prefix: str,
    namespace: str,
    redis: Redis,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    ladder = {**FAST, "ladders__p0__delays_seconds": "[0, 4, 4]"}
    with escalation_process(service_env, tmp_path, "run1", **ladder) as first:
        await setup(kafka, prefix, redis, namespace)
        await publish(kafka, prefix, raised("al-int-3"))
        await urgent(kafka, prefix, paged_count(1))

        async def between_steps() -> bool:
            # Step 0 is committed and its outbox drained: the process waits for step 1.
            state = await alert_state(redis, namespace, "al-int-3")
            outbox = await redis.zcard(f"{namespace}:escalation:outbox")
            return state is not None and state.next_step == 1 and outbox == 0

        await eventually(between_steps, message="step 0 done, step 1 pending")
        first.kill()
    with escalation_process(service_env, tmp_path, "run2", **ladder) as second:
        await urgent(kafka, prefix, paged_count(2))
        # Killed again the moment the backup's page is on Kafka, wherever the process was.
        second.kill()
    with escalation_process(service_env, tmp_path, "run3", **ladder) as third:
        got = await urgent(kafka, prefix, paged_count(3), timeout=60)
        state = await alert_state(redis, namespace, "al-int-3")
        assert_alive(third)
    ladder_pages = pages(got)
    records = Counter(int(p.dedup_key.split(":")[2]) for p in ladder_pages)
    ids = {
        step: {p.notification_id for p in ladder_pages if int(p.dedup_key.split(":")[2]) == step}
        for step in records
    }
    # Every step paged its clinician, in order, with one notification each. The quiet kill left
    # exactly one record per step; the kill right after the backup's page may leave a second
    # record of that page, with the same notification_id, which the dispatcher sends once.
    assert {step: len(n) for step, n in ids.items()} == {0: 1, 1: 1, 2: 1}
    assert (records[0], records[2]) == (1, 1)
    order = list(dict.fromkeys((p.dedup_key, p.recipient.id) for p in ladder_pages))
    assert [clinician for _, clinician in order] == LADDER
    assert state is not None and state.step == 2
    assert [p.clinician_id for p in state.pages] == LADDER


def reminders(evs: list[Event]) -> list[NotificationRequested]:
    return [
        e
        for e in evs
        if isinstance(e, NotificationRequested) and e.template_id == "clinician_resolve_reminder"
    ]


async def test_acknowledged_but_unresolved_reminds_and_re_escalates_until_resolved(
    kafka: str,
    prefix: str,
    namespace: str,
    redis: Redis,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    # The ladder never moves on by itself here: any later page is the re-escalation's.
    fast = {
        **FAST,
        "ladders__p0__delays_seconds": "[0, 600, 600]",
        "ladders__p0__resolve_within_seconds": "5",
    }
    with escalation_process(service_env, tmp_path, **fast) as proc:
        await setup(kafka, prefix, redis, namespace)
        await publish(kafka, prefix, raised("al-int-4"))
        [first] = pages(await urgent(kafka, prefix, paged_count(1)))
        code = first.variables["code"]
        await publish(
            kafka, prefix, AlertAcknowledged(code=code, clinician_id=PRIMARY, source="dispatcher")
        )

        async def acknowledged() -> bool:
            state = await alert_state(redis, namespace, "al-int-4")
            return state is not None and state.status == "acknowledged"

        await eventually(acknowledged, message="alert acknowledged")
        # Unresolved 5 s after the ACK: the primary is reminded and the backup paged.
        got = await urgent(
            kafka, prefix, lambda es: bool(reminders(es)) and paged_count(2)(es), timeout=30
        )
        assert_alive(proc)
        await publish(
            kafka,
            prefix,
            AlertResolved(
                code=code, clinician_id=PRIMARY, outcome="patient_reached", source="dispatcher"
            ),
        )

        async def resolved() -> bool:
            state = await alert_state(redis, namespace, "al-int-4")
            return state is not None and state.status == "resolved"

        await eventually(resolved, message="alert resolved")
        timers = Timers(redis, f"{namespace}:escalation", "alerts")
        assert await timers.get("al-int-4") == (None, None)
        await asyncio.sleep(8)  # past the next resolve-by check, had it not been cancelled
        after = await urgent(
            kafka,
            prefix,
            lambda es: "clinician_notice" in [e.template_id for e in urgent_requests(es)],
        )
        audit = await events(
            kafka,
            prefix,
            topics.ALERTS,
            lambda es: any(isinstance(e, AlertResolved) and e.source == "escalation" for e in es),
        )
        assert_alive(proc)
    [reminder] = reminders(got)
    assert reminder.recipient.id == PRIMARY
    assert reminder.variables == {"severity": "P0", "code": code, "site": "Austin"}
    assert (reminder.reply_context.kind, reminder.reply_context.ref) == ("page", code)
    assert [p.recipient.id for p in pages(got)] == [PRIMARY, BACKUP]
    # Nothing after the RESOLVE but the backup's stand-down notice.
    assert len(reminders(after)) == 1
    assert [p.recipient.id for p in pages(after)] == [PRIMARY, BACKUP]
    notices = [
        e.recipient.id for e in urgent_requests(after) if e.template_id == "clinician_notice"
    ]
    assert notices == [BACKUP]
    mine = [e for e in audit if getattr(e, "alert_id", None) == "al-int-4"]
    escalated = [(e.from_step, e.to_step, e.reason) for e in mine if isinstance(e, AlertEscalated)]
    assert escalated == [(0, 1, "unresolved")]
    paged = sorted(
        (e.step, e.clinician_id, e.role)
        for e in mine
        if isinstance(e, AlertPaged) and e.delivery == "requested"
    )
    assert paged == [(0, PRIMARY, "primary"), (1, BACKUP, "backup"), (1, PRIMARY, "reminder")]
    closed = [e for e in mine if isinstance(e, AlertResolved) and e.source == "escalation"]
    assert [(e.clinician_id, e.outcome) for e in closed] == [(PRIMARY, "patient_reached")]


def urgent_requests(evs: list[Event]) -> list[NotificationRequested]:
    return [e for e in evs if isinstance(e, NotificationRequested)]
