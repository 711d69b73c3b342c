"""The event contracts: validation rules a producer or consumer would trip over."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from shared import topics
from shared.events import (
    EVENT_TYPES,
    TOPIC_EVENTS,
    InboundSmsReceived,
    MedicationPlanStarted,
    NotificationRequested,
    PatientEnrolled,
    parse_event,
    phone_key,
    topic_for,
)
from shared.testing.factories import PHONE, every_event, sample


def _json(event: Any) -> dict[str, Any]:
    return json.loads(event.model_dump_json())


def test_every_event_type_has_a_topic_and_round_trips_as_json() -> None:
    events = every_event()
    assert len(events) == len(EVENT_TYPES) == 40
    for event in events:
        topic = topic_for(event)
        assert type(event) in TOPIC_EVENTS[topic]
        assert parse_event(topic, event.model_dump_json()) == event
        assert parse_event(topic, _json(event)) == event


def test_notifications_go_to_the_lane_of_their_priority() -> None:
    assert topic_for(sample(NotificationRequested, priority="urgent")) == topics.NOTIFY_URGENT
    assert topic_for(sample(NotificationRequested, priority="routine")) == topics.NOTIFY_ROUTINE


def test_unknown_fields_are_tolerated() -> None:
    data = {**_json(sample(PatientEnrolled)), "favourite_colour": "teal", "schema_extra": {"a": 1}}
    assert parse_event(topics.PATIENTS, data).patient_id == "p-1001"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("patient_id", 1001, "wrong type: int for a string id"),
        ("consents", "medications", "wrong type: string for a list"),
        ("language", "fr", "unsupported language"),
        ("phone", "5125550143", "not E.164"),
        ("phone", "+1512555014", "too short to be a valid number"),
        ("phone", "+1 512 555 0143", "spaces are not E.164"),
        ("zone", "CST", "an abbreviation, not an IANA zone"),
        ("zone", "-06:00", "a fixed offset, not an IANA zone"),
        ("zone", "America/Austin", "no such IANA zone"),
        ("quiet_start", "9:00", "local times are HH:MM"),
        ("quiet_end", "24:00", "no hour 24"),
        ("occurred_at", "2026-03-10T08:00:00", "an instant without offset"),
        ("occurred_at", "yesterday", "not a timestamp"),
        ("event_id", "not-a-uuid", "event ids are UUIDs"),
        ("schema_version", 2, "a version this consumer does not know"),
        ("schema_version", "1", "wrong type for the version"),
        ("event_type", "PatientTeleported", "unknown event type"),
    ],
)
def test_a_wrong_value_is_an_error(field: str, value: Any, reason: str) -> None:
    data = {**_json(sample(PatientEnrolled)), field: value}
    with pytest.raises(ValidationError):
        parse_event(topics.PATIENTS, data)


def test_missing_required_fields_are_errors() -> None:
    data = _json(sample(PatientEnrolled))
    del data["phone"]
    with pytest.raises(ValidationError, match="phone"):
        parse_event(topics.PATIENTS, data)


def test_timestamps_are_normalised_to_utc() -> None:
    chicago = timezone(timedelta(hours=-5))
    event = sample(PatientEnrolled, occurred_at=datetime(2026, 3, 10, 9, 0, tzinfo=chicago))
    assert event.occurred_at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert _json(event)["occurred_at"] == "2026-03-10T14:00:00Z"


def test_local_schedules_travel_with_their_zone() -> None:
    plan = sample(MedicationPlanStarted, dose_times=["02:30", "20:00"], zone="America/Denver")
    assert _json(plan)["dose_times"] == ["02:30", "20:00"]
    assert _json(plan)["zone"] == "America/Denver"


def test_phi_stays_out_of_repr_but_not_out_of_the_wire() -> None:
    sms = sample(InboundSmsReceived, body="I took all my pills")
    assert PHONE not in repr(sms) and "pills" not in repr(sms)
    assert _json(sms)["body"] == "I took all my pills"
    plan = sample(MedicationPlanStarted, drug="clozapine")
    assert "clozapine" not in repr(plan) and "clozapine" not in str(plan)


def test_partition_keys_keep_a_patient_or_a_phone_together() -> None:
    assert sample(PatientEnrolled, patient_id="p-7").kafka_key() == b"p-7"
    key = sample(InboundSmsReceived).kafka_key()
    assert key == phone_key(PHONE).encode()
    assert PHONE.encode() not in key and b"5550143" not in key


def test_log_fields_are_ids_only() -> None:
    fields = sample(InboundSmsReceived).log_fields()
    assert set(fields) <= {"event_id", "event_type", "correlation_id", "patient_id", "site_id"}
    assert PHONE not in json.dumps(fields)
