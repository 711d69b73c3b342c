"""The dead-letter tool without Kafka: names, filters, the redacted preview, replay bookkeeping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis
from hypothesis import given
from hypothesis import strategies as st

from shared.broker import TRUNCATED_HEADER
from shared.dlq import REPLAYED_FROM, DeadLetter, parse_since, replay, summary, topic_names
from shared.dlq.preview import preview, safe_headers, safe_key
from shared.events import (
    ClinicianRegistered,
    InboundSmsReceived,
    MedicationDispensed,
    MedicationPlanStarted,
    PatientEnrolled,
    SideEffectReported,
)
from shared.idempotency import Claims
from shared.testing.factories import every_event, sample

T = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def letter(
    offset: int,
    *,
    original_offset: int | None = None,
    group: str = "g1",
    error_class: str = "ValidationError",
    topic: str = "t.mtm.patients",
    at: datetime = T,
    extra: tuple[tuple[str, bytes], ...] = (),
    value: bytes = b'{"x": 1}',
) -> DeadLetter:
    headers = {
        "error": "validation failed",
        "error_class": error_class,
        "attempt": "1",
        "original_topic": topic,
        "original_partition": "0",
        "original_offset": str(offset if original_offset is None else original_offset),
        "consumer_group": group,
        "content-type": "",
    }
    return DeadLetter(
        partition=0,
        offset=offset,
        timestamp=at,
        key=b"p-1",
        value=value,
        raw_headers=(*((k, v.encode()) for k, v in headers.items()), ("x-trace", b"abc"), *extra),
    )


@pytest.mark.parametrize(
    ("given_name", "prefix", "expected"),
    [
        ("mtm.patients", "", ("mtm.patients", "mtm.patients.dlq")),
        ("mtm.patients.dlq", "", ("mtm.patients", "mtm.patients.dlq")),
        ("mtm.patients", "t1.", ("t1.mtm.patients", "t1.mtm.patients.dlq")),
        ("t1.mtm.patients.dlq", "t1.", ("t1.mtm.patients", "t1.mtm.patients.dlq")),
    ],
)
def test_topic_names(given_name: str, prefix: str, expected: tuple[str, str]) -> None:
    assert topic_names(given_name, prefix) == expected


def test_since_takes_durations_and_instants() -> None:
    assert parse_since("90s", now=T) == T - timedelta(seconds=90)
    assert parse_since("2h", now=T) == T - timedelta(hours=2)
    assert parse_since("7d", now=T) == T - timedelta(days=7)
    assert parse_since("2026-03-10T12:00:00Z", now=T) == T - timedelta(hours=3)
    assert parse_since("2026-03-10T12:00:00", now=T) == T - timedelta(hours=3)
    with pytest.raises(SystemExit):
        parse_since("last tuesday", now=T)


def test_summary_counts_by_class_and_partition_newest_first() -> None:
    letters = [
        letter(0, at=T),
        letter(1, at=T + timedelta(minutes=1)),
        letter(2, error_class="RuntimeError", at=T + timedelta(minutes=5)),
    ]
    rows = summary(letters)
    assert [(r["error_class"], r["count"]) for r in rows] == [
        ("RuntimeError", 1),
        ("ValidationError", 2),
    ]
    assert rows[1]["oldest"] < rows[1]["newest"]


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, list[tuple[str, bytes]]]] = []

    async def send_and_wait(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        self.sent.append((topic, value, key, headers))


async def test_replay_sends_each_original_once_and_remembers_it() -> None:
    redis = FakeAsyncRedis()
    ledger = Claims(redis, "unit:dlq")
    letters = [
        letter(0, original_offset=10, group="g1"),
        letter(1, original_offset=10, group="g2"),  # the same record, another group
        letter(2, original_offset=11),
        letter(3, original_offset=12, extra=((TRUNCATED_HEADER, b"value=2000000 key=1"),)),
        letter(4, original_offset=13, topic="t.mtm.alerts"),  # not this topic's record
    ]
    producer = Producer()
    kwargs: dict[str, Any] = {"base_topic": "t.mtm.patients", "dlq_topic": "t.mtm.patients.dlq"}
    dry = await replay(letters, producer=None, ledger=ledger, **kwargs)
    assert (len(dry.replayed), producer.sent) == (2, [])
    report = await replay(letters, producer=producer, ledger=ledger, **kwargs)
    assert report.replayed == ["t.mtm.patients:0:10", "t.mtm.patients:0:11"]
    assert set(report.skipped) == {"t.mtm.patients:0:12", "t.mtm.alerts:0:13"}
    assert [s[0] for s in producer.sent] == ["t.mtm.patients", "t.mtm.patients"]
    _, value, key, headers = producer.sent[0]
    assert (value, key) == (b'{"x": 1}', b"p-1")
    assert dict(headers) == {"x-trace": b"abc", REPLAYED_FROM: b"t.mtm.patients.dlq:0:0"}
    again = await replay(letters, producer=producer, ledger=ledger, **kwargs)
    assert (again.replayed, len(again.already), len(producer.sent)) == ([], 2, 2)
    await redis.aclose()


# --- the preview shows no PHI -------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Z][a-z]{4,9} [A-Z][a-z]{4,9}", fullmatch=True)
BODIES = st.from_regex(r"BODY[a-z ]{8,40}", fullmatch=True)
DRUGS = st.from_regex(r"drug[a-z]{6,12}", fullmatch=True)
PHONES = st.integers(2000, 9999).map(lambda n: f"+1512555{n}")


@given(name=NAMES, body=BODIES, drug=DRUGS, phone=PHONES, mutate=st.booleans())
def test_the_preview_never_shows_phi(
    name: str, body: str, drug: str, phone: str, mutate: bool
) -> None:
    bodies = [
        sample(PatientEnrolled, phone=phone).model_dump(mode="json"),
        sample(ClinicianRegistered, phone=phone, display_name=name).model_dump(mode="json"),
        sample(InboundSmsReceived, from_phone=phone, body=body).model_dump(mode="json"),
        sample(MedicationPlanStarted, drug=drug).model_dump(mode="json"),
        sample(MedicationDispensed, drug=drug).model_dump(mode="json"),
        sample(SideEffectReported, free_text=body).model_dump(mode="json"),
    ]
    for data in bodies:
        if mutate:  # broken versions: PHI in wrong types, in unknown fields, in id fields
            data = {**data, "phone": int(phone[1:]), "patient_name": name, "reason": f"x {phone}"}
            data["extra"] = {"display_name": name, "note": body, "list": [phone, body]}
        text = json.dumps(preview(json.dumps(data).encode()))
        for secret in (name, body, drug, phone, phone[2:]):
            assert secret not in text, (secret, text)


def test_every_event_type_previews_its_ids() -> None:
    for event in every_event():
        shown = preview(event.model_dump_json().encode())
        assert isinstance(shown, dict)
        assert shown["event_type"] == event.event_type
        assert shown["event_id"] == str(event.event_id)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"\xff\xfe", "<2 bytes, not UTF-8>"),
        (b"{bad", "<4 bytes, not JSON>"),
        (b"[1, 2]", "<6 bytes, JSON list>"),
        (b"null", "<4 bytes, JSON NoneType>"),
        (b"[" * 5000 + b"]" * 5000, "<10000 bytes, not JSON>"),
    ],
)
def test_bytes_that_are_not_an_object_are_described_by_size(value: bytes, expected: str) -> None:
    assert preview(value) == expected


def test_long_values_and_deep_structures_are_cut() -> None:
    data = {"event_type": "PatientDischarged", "reason": "x" * 1000, "patient_id": "p-1"}
    shown = preview(json.dumps(data).encode())
    assert isinstance(shown, dict) and shown["reason"].endswith("(1000 chars)")
    deep: Any = "x"
    for _ in range(50):
        deep = {"a": deep}
    shown = preview(json.dumps({"event_type": "X", "source": deep}).encode())
    assert "<dict of 1>" in json.dumps(shown)


def test_keys_and_foreign_headers_are_redacted() -> None:
    assert safe_key(b"p-1001") == "p-1001"
    assert safe_key(b"+15125550143") == "<12 bytes>"
    assert safe_key(b"\xff" * 3) == "<3 bytes>"
    assert safe_key(None) is None
    headers = {"error": "x", "phone": "+15125550143", "note": "call 512-555-0143"}
    shown = safe_headers(headers, keep=("error",))
    assert shown == {"error": "x", "phone": "[redacted]", "note": "call [redacted]"}
