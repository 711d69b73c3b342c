"""What a scenario delivered, counted against what it had to: every SMS the fake Twilio accepted
is traced to its notification (NotificationSent names the SID) and from there to a stable key
(appointment + step, dose + step, alert + ladder step, patient for the crisis text)."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared import events as ev
from shared import topics
from tests.faults.workload import Phones, Plan

Key = tuple[str, ...]
FINAL = {"delivered", "undelivered", "failed"}


async def read_topics(
    bootstrap: str, names: list[str], *, timeout: float = 60
) -> dict[str, list[Any]]:
    """Every record each topic holds right now (up to the end offsets taken at the start)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [
            TopicPartition(t, p) for t in names for p in (consumer.partitions_for_topic(t) or ())
        ]
        out: dict[str, list[Any]] = {t: [] for t in names}
        if not parts:
            return out
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        deadline = time.monotonic() + timeout
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {names} to the end within {timeout}s")
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                out[tp.topic].extend(r for r in records if r.offset < ends[tp])
        return out
    finally:
        await consumer.stop()


async def consumer_lag(bootstrap: str, prefix: str) -> dict[str, int]:
    """Records not yet committed, per consumer group of this run (0 everywhere: all caught up)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix)]
        lag: dict[str, int] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            if not committed:
                continue
            ends = await consumer.end_offsets(list(committed))
            lag[group] = sum(
                max(0, ends[tp] - (meta.offset if meta.offset >= 0 else 0))
                for tp, meta in committed.items()
            )
        return lag
    finally:
        await consumer.stop()
        await admin.close()


def key_of(req: ev.NotificationRequested) -> Key:
    """The stable identity of what a request asks to text."""
    d = req.dedup_key
    if req.category.startswith("appointment_"):
        _, appointment, _revision, _start, step = d.split(":")
        return ("appointment", appointment, step)
    if req.category in ("dose_reminder", "dose_followup"):
        dose, _, step = d.removeprefix("dose:").rpartition(":")
        return ("dose", dose, step)
    if req.category == "crisis_resources":
        return ("crisis", req.recipient.id)
    if req.category == "clinician_page":
        _, alert, step, _clinician = d.split(":")
        return ("page", alert, step)
    if req.category == "clinician_notice":
        _, alert, clinician = d.split(":")
        return ("notice", alert, clinician)
    return ("other", req.category, d)


@dataclass
class Tally:
    """The counts of one scenario (all SMS counts are of texts at the fake Twilio)."""

    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    sms_total: int = 0
    orphans: int = 0
    """SMS whose SID no NotificationSent names: sent without the dispatcher knowing."""
    unexpected: int = 0
    """Requested texts no rule of the workload explains."""
    alerts_expected: int = 0
    alerts_raised: int = 0
    acked_expected: int = 0
    acked: int = 0
    last_step_expected: int = 0
    at_last_step: int = 0
    replies_sent: int = 0
    replies_applied: int = 0
    replies_refused: int = 0
    """Posts the gateway refused (503 or down) and the phone posted again."""
    statuses_missing: int = 0
    """Final at Twilio, but no NotificationDelivered/Failed for it on mtm.notify.status."""
    dead_letters: int = 0
    lag: int = 0
    exits: int = 0
    in_flight_at_kill: int = 0
    """Sends the dispatcher had started (attempt on record, no SID yet) when it was killed."""
    accepted_unrecorded: int = 0
    """... of which Twilio had already accepted the message: the crash window between Twilio's
    answer and the SID being recorded, which only the look-up before a re-send covers."""
    accepted_unrecorded_sent_twice: int = 0
    """Times a service exited on its own (and was started again by the stack's supervisor)."""
    lost_keys: list[str] = field(default_factory=list)
    orphan_details: list[str] = field(default_factory=list)
    lost_details: list[str] = field(default_factory=list)
    duplicated_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.acked == self.acked_expected
            and self.at_last_step == self.last_step_expected
            and self.alerts_raised == self.alerts_expected
            and self.replies_applied == self.replies_sent
            and self.statuses_missing == 0
            and self.dead_letters == 0
            and self.unexpected == 0
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def count(
    bootstrap: str,
    prefix: str,
    plan: Plan,
    phones: Phones,
    sms: list[dict[str, Any]],
    *,
    in_flight: list[tuple[float, list[str]]] | None = None,
) -> Tally:
    """Tally one run: the fake's messages against the topics and the plan."""
    names = [
        topics.NOTIFY_ROUTINE,
        topics.NOTIFY_URGENT,
        topics.NOTIFY_STATUS,
        topics.ALERTS,
        topics.MEDICATIONS,
    ]
    dlqs = [topics.dlq(t) for t in topics.ALL_TOPICS]
    raw = await read_topics(bootstrap, [prefix + n for n in [*names, *dlqs]])
    parsed: dict[str, list[ev.Event]] = {
        n: [ev.parse_event(n, json.loads(r.value)) for r in raw[prefix + n]] for n in names
    }
    t = Tally(dead_letters=sum(len(raw[prefix + d]) for d in dlqs))
    t.lag = sum((await consumer_lag(bootstrap, prefix)).values())
    owners = plan.phone_owner()

    requests: dict[str, ev.NotificationRequested] = {}
    for name in (topics.NOTIFY_ROUTINE, topics.NOTIFY_URGENT):
        for e in parsed[name]:
            if isinstance(e, ev.NotificationRequested):
                requests[str(e.notification_id)] = e
    status = parsed[topics.NOTIFY_STATUS]
    sid_to_nid = {
        e.message_sid: str(e.notification_id) for e in status if isinstance(e, ev.NotificationSent)
    }
    settled = {
        e.message_sid
        for e in status
        if isinstance(e, ev.NotificationDelivered)
        or (isinstance(e, ev.NotificationFailed) and e.stage == "delivery")
    }

    # Alerts: which were raised for our flagged patients, which we acknowledged, and their pages.
    alerts = parsed[topics.ALERTS]
    flagged = {p.id for p in plan.flagged}
    raised = {
        e.alert_id
        for e in alerts
        if isinstance(e, ev.ClinicalAlertRaised) and e.severity == "P0" and e.patient_id in flagged
    }
    code_of = {e.alert_id: e.code for e in alerts if isinstance(e, ev.AlertPaged)}
    acked_codes = set(phones.acked_codes)
    meant_acked = {a for a in raised if code_of.get(a) in acked_codes}
    confirmed = {
        e.alert_id
        for e in alerts
        if isinstance(e, ev.AlertAcknowledged) and e.source == "escalation" and e.alert_id
    }
    t.alerts_expected, t.alerts_raised = plan.size.alerts, len(raised)
    t.acked_expected, t.acked = plan.size.acked, len(meant_acked & confirmed)

    mandatory: set[Key] = plan.mandatory()
    for alert in raised:
        steps = ("0",) if alert in meant_acked else ("0", "1", "2")
        mandatory |= {("page", alert, s) for s in steps}
    requested = {key_of(r) for r in requests.values() if _ours(r, plan)}
    optional = {k for k in requested - mandatory if _explained(k, plan, meant_acked)}
    t.unexpected = len(requested - mandatory - optional)
    expected = mandatory | optional

    per_key: Counter[Key] = Counter()
    families: Counter[str] = Counter()
    for m in sms:
        if m["to"] not in owners:
            continue  # not this workload's (nothing else texts here, but be exact)
        t.sms_total += 1
        nid = sid_to_nid.get(m["sid"])
        req = requests.get(nid) if nid else None
        if req is None:
            t.orphans += 1
            families[_family(m["body"])] += 1
            why = (
                "no NotificationSent" if nid is None else f"NotificationSent for {nid}, no request"
            )
            t.orphan_details.append(f"{m['sid']} {m['accepted_at']} {m['status']}: {why}")
            continue
        per_key[key_of(req)] += 1
        if m["status"] in FINAL and m["sid"] not in settled:
            t.statuses_missing += 1
    t.expected = len(expected)
    t.delivered = len([k for k in expected if per_key[k] > 0])
    t.lost = t.expected - t.delivered
    t.duplicated = sum(n - 1 for n in per_key.values() if n > 1) + t.orphans
    t.lost_keys = sorted(":".join(k) for k in expected if per_key[k] == 0)[:20]
    # What the topics say about each lost key: was it requested, and what became of it?
    by_key: dict[Key, list[str]] = {}
    for nid, req in requests.items():
        by_key.setdefault(key_of(req), []).append(nid)
    outcomes: dict[str, list[str]] = {}
    for e in status:
        if hasattr(e, "notification_id"):
            outcomes.setdefault(str(e.notification_id), []).append(
                f"{e.event_type}({getattr(e, 'message_sid', None) or getattr(e, 'reason', '')})"
            )
    for k in sorted(k for k in expected if per_key[k] == 0)[:10]:
        nids = by_key.get(k, [])
        seen = [f"{n}: {outcomes.get(n, [])}" for n in nids] or ["never requested"]
        t.lost_details.append(f"{':'.join(k)} -> {'; '.join(seen)}")
    t.duplicated_keys = sorted(":".join(k) for k, n in per_key.items() if n > 1)[:20]
    if families:
        t.notes.append(f"SMS no NotificationSent names, by kind: {dict(families)}")

    # The window no design closes: Twilio took the message, the dispatcher died before recording
    # the SID. The restarted dispatcher looks the number up before sending again.
    for killed_at, keys in in_flight or []:
        t.in_flight_at_kill += len(keys)
        for send_key in keys:
            nid = send_key.split(":", 1)[0]
            accepted = [
                m
                for m in sms
                if sid_to_nid.get(m["sid"]) == nid
                and datetime.fromisoformat(m["accepted_at"]).timestamp() < killed_at
            ]
            if accepted:
                t.accepted_unrecorded += 1
                req = requests.get(nid)
                if req is not None and per_key[key_of(req)] > 1:
                    t.accepted_unrecorded_sent_twice += 1

    at_last = {k[1] for k, n in per_key.items() if k[0] == "page" and k[2] == "2" and n}
    t.last_step_expected = len(raised - meant_acked)
    t.at_last_step = len(at_last & (raised - meant_acked))

    # Replies: each accepted reply must have become its typed event, once.
    t.replies_sent, t.replies_refused = len(phones.replies), phones.refused
    applied = {
        e.message_sid
        for e in [*parsed[topics.MEDICATIONS], *alerts]
        if isinstance(e, ev.DoseTaken | ev.AlertAcknowledged)
        and e.source == "dispatcher"
        and e.message_sid in phones.replies
    }
    t.replies_applied = len(applied)
    return t


def _ours(req: ev.NotificationRequested, plan: Plan) -> bool:
    people = {p.id for p in [*plan.appointments, *plan.doses, *plan.flagged]}
    people |= {c.id for team in plan.clinicians.values() for c in team.values()}
    return req.recipient.id in people


def _explained(key: Key, plan: Plan, acked: set[str]) -> bool:
    """Texts that depend on timing, not on faults: a follow-up when the answer came after it was
    due, later pages of an alert acknowledged after they went out, the 'acknowledged' notices."""
    if key[0] == "dose" and key[2] == "followup":
        return True
    if key[0] == "page" and key[1] in acked:
        return True
    return key[0] == "notice" and key[1] in acked


def _family(body: str) -> str:
    for marker, name in (
        ("URGENT", "page"),
        ("has been acknowledged", "notice"),
        ("988", "crisis"),
        ("medicine", "dose"),
        ("visit", "appointment"),
    ):
        if marker in body:
            return name
    return "other"
