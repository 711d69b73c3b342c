"""Which subscriptions fetch at once and which in batches (shared.broker.BULK_READ).

A batched fetch waits up to 100 ms for 64 KiB: cheap in CPU, but a P0 alert must never wait for
it. It starts on mtm.symptoms (a C-SSRS answer, a severe side effect: symptoms) or on
mtm.sms.inbound (crisis language in a patient's text: dispatcher), goes on mtm.alerts to
escalation and on mtm.notify.urgent to the dispatcher as a page; a clinician's ACK comes back on
mtm.sms.inbound. Every other lane reads in batches."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.kafka.subscriber.usecase import LogicSubscriber

from deploy.services import BROKERS, code_defaults, settings_class
from deploy.topics import TOPICS
from shared import topics
from shared.broker import BULK_READ

PAGE_PATH = {
    ("symptoms", topics.SYMPTOMS),
    ("escalation", topics.ALERTS),
    ("dispatcher", topics.NOTIFY_URGENT),
    ("dispatcher", topics.SMS_INBOUND),
}


def lanes() -> dict[tuple[str, str], dict[str, Any]]:
    """(service, topic) -> the consumer settings of its subscription, for every service."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for service, build in BROKERS.items():
        broker = build(code_defaults(settings_class(service)))
        for sub in broker.subscribers:
            assert isinstance(sub, LogicSubscriber)
            for topic in sub.topics:
                found[(service, topic.name)] = sub._connection_args
    return found


def test_every_service_has_its_lanes() -> None:
    found = lanes()
    assert set(found) >= PAGE_PATH
    # Status, inbound and routine lanes carry the volume of a clinic day.
    assert {
        ("escalation", topics.NOTIFY_STATUS),
        ("dispatcher", topics.NOTIFY_ROUTINE),
        ("dispatcher", topics.SMS_STATUS),
        ("adherence", topics.MEDICATIONS),
        ("reminders", topics.APPOINTMENTS),
    } <= set(found)


@pytest.mark.parametrize(("service", "topic"), sorted(PAGE_PATH))
def test_the_page_path_fetches_each_record_as_it_arrives(service: str, topic: str) -> None:
    args = lanes()[(service, topic)]
    assert args["fetch_min_bytes"] == 1
    assert args["fetch_max_wait_ms"] == 500  # only an idle wait: a record ends it at once


def test_every_other_lane_fetches_in_batches() -> None:
    others = {lane: args for lane, args in lanes().items() if lane not in PAGE_PATH}
    assert len(others) >= 12
    for lane, args in others.items():
        got = {k: args[k] for k in BULK_READ}
        assert got == BULK_READ, lane


def test_a_batched_fetch_waits_a_tenth_of_a_second_at_most() -> None:
    assert BULK_READ["fetch_max_wait_ms"] <= 100
    assert BULK_READ["fetch_min_bytes"] >= 16 * 1024


def test_the_urgent_lane_sends_on_every_partition_at_once() -> None:
    """A page must not wait behind HELP answers or another patient's page: by default the
    dispatcher has a consumer for each urgent partition (records of one partition in order)."""
    broker = BROKERS["dispatcher"](code_defaults(settings_class("dispatcher")))
    subs = [s for s in broker.subscribers if isinstance(s, LogicSubscriber)]
    (urgent,) = [s for s in subs if [t.name for t in s.topics] == [topics.NOTIFY_URGENT]]
    partitions = {spec.name: spec.partitions for spec in TOPICS}
    assert getattr(urgent, "max_workers", 1) == partitions[topics.NOTIFY_URGENT] == 6
    (routine,) = [s for s in subs if [t.name for t in s.topics] == [topics.NOTIFY_ROUTINE]]
    assert getattr(routine, "max_workers", 1) == 1  # replicas share the 24 routine partitions
