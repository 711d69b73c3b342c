"""The publisher's dedupe invariants, for any order and repetition of findings."""

from __future__ import annotations

import asyncio
from typing import Any

from fakeredis import FakeAsyncRedis
from hypothesis import given, settings
from hypothesis import strategies as st

from services.symptoms.alerts import AlertPublisher
from services.symptoms.ids import IDS
from services.symptoms.rules.model import Finding, rank
from services.symptoms.state import SymptomState
from shared.clock import FakeClock
from shared.events import ClinicalAlertRaised, Event, NotificationRequested
from shared.testing.factories import sample
from tests.unit.symptoms.support import NOW


class CapturingBus:
    """Stands in for the EventBus: keeps what would have been published."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event, *, topic: str | None = None) -> None:
        self.events.append(event)


findings = st.builds(
    Finding,
    rule_id=st.sampled_from(["SYM-PHQ9-ITEM9", "SYM-CSSRS-TRIAGE", "SE-NMS"]),
    severity=st.sampled_from(["P0", "P1", "P2", "P3"]),
    scope=st.sampled_from(["s-1", "s-2"]),
    evidence=st.just(()),
    suggested_action=st.just("act"),
    crisis_text=st.booleans(),
)


async def run(batches: list[list[Finding]]) -> list[Event]:
    bus = CapturingBus()
    redis = FakeAsyncRedis()
    publisher = AlertPublisher(bus, SymptomState(redis, "ns:symptoms"), FakeClock(NOW))  # type: ignore[arg-type]
    cause = sample(ClinicalAlertRaised, patient_id="p-1")  # any event: ids only are read
    for batch in batches:
        await publisher.publish(batch, patient_id="p-1", cause=cause, now=NOW)
    await redis.aclose()
    return bus.events


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(findings, max_size=4), max_size=6))
def test_never_twice_never_less_urgent_one_text_per_record(batches: list[list[Finding]]) -> None:
    events = asyncio.new_event_loop().run_until_complete(run(batches))
    alerts = [e for e in events if isinstance(e, ClinicalAlertRaised)]
    texts = [e for e in events if isinstance(e, NotificationRequested)]
    assert len({a.dedup_key for a in alerts}) == len(alerts)  # each key at most once
    best: dict[tuple[str, str], int] = {}
    for a in alerts:  # each later alert for the same rule and record is more urgent
        key = (a.rule_id, a.dedup_key.split(":")[2])
        assert rank(a.severity) < best.get(key, 4)
        best[key] = rank(a.severity)
    scopes = [t.dedup_key.split(":")[3] for t in texts]
    assert len(scopes) == len(set(scopes))  # one crisis text per record
    by_key: dict[str, Any] = {a.dedup_key: a for a in alerts}
    for t in texts:
        alert = by_key[t.dedup_key.removeprefix("crisis:")]
        assert t.notification_id == IDS.id("crisis", t.dedup_key)
        assert alert.alert_id == str(IDS.id("alert", alert.dedup_key))
    wanted = {f.scope for batch in batches for f in batch if f.crisis_text}
    assert set(scopes) == wanted  # every record with a crisis finding got its text
