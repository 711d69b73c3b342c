"""The envelope every event carries, and the field types events are built from."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from hashlib import sha256
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

PHI: dict[str, Any] = {"x-phi": True}
"""JSON-schema marker on fields that carry protected health information."""


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a UTC offset (UTC instants on the wire)")
    return value.astimezone(UTC)


def _e164(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number in E.164 form") from exc
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value or not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number in E.164 form")
    return value


def _zone(value: str) -> str:
    if "/" not in value and value != "UTC":
        raise ValueError("zone must be an IANA name such as America/Chicago")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown IANA time zone") from exc
    return value


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _local_time(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("local time must be HH:MM (24-hour)")
    return value


UtcDatetime = Annotated[datetime, Field(strict=False), AfterValidator(_utc)]
"""A timezone-aware instant, normalised to UTC."""
Day = Annotated[date, Field(strict=False)]
"""A calendar date (ISO 8601)."""
Uuid = Annotated[UUID, Field(strict=False)]
Phone = Annotated[str, AfterValidator(_e164)]
"""A phone number in E.164 form, validated with phonenumbers."""
Zone = Annotated[str, AfterValidator(_zone)]
"""An IANA time-zone name."""
LocalTime = Annotated[str, AfterValidator(_local_time)]
"""A local wall-clock time, HH:MM, that travels with its zone."""
Id = Annotated[str, Field(min_length=1, max_length=128)]
"""An opaque identifier from a clinic system."""


def phi(description: str, **kwargs: Any) -> Any:
    """A field holding PHI: kept out of repr and marked in the schema."""
    return Field(description=description, repr=False, json_schema_extra=PHI, **kwargs)


def now_utc() -> datetime:
    return datetime.now(UTC)


class Model(BaseModel):
    """Strict about types, tolerant of unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Event(Model):
    """The envelope shared by every event."""

    supported_versions: ClassVar[frozenset[int]] = frozenset({1})

    event_id: Uuid = Field(
        default_factory=uuid4, description="Unique id; the default idempotency key."
    )
    event_type: str = Field(description="The event's type name (past tense).")
    schema_version: int = Field(default=1, description="Version of this event type's schema.")
    occurred_at: UtcDatetime = Field(
        default_factory=now_utc, description="When it happened, as a UTC instant."
    )
    source: str = Field(
        default="mtm", max_length=64, description="The system or service that emitted it."
    )
    correlation_id: str | None = Field(
        default=None, max_length=128, description="Ties together the events of one causal chain."
    )
    patient_id: Id | None = Field(default=None, description="The patient it concerns, if any.")
    site_id: Id | None = Field(default=None, description="The clinic site it concerns, if any.")

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value not in cls.supported_versions:
            raise ValueError(f"unsupported schema_version {value}")
        return value

    def kafka_key(self) -> bytes:
        """The partition key: the patient, so one patient's events stay in order."""
        return (self.patient_id or str(self.event_id)).encode()

    def log_fields(self) -> dict[str, str]:
        """Identifiers that are safe to log."""
        fields = {"event_id": str(self.event_id), "event_type": self.event_type}
        for name in ("correlation_id", "patient_id", "site_id"):
            value = getattr(self, name)
            if value:
                fields[name] = value
        return fields


def instant_or_none(raw: Any) -> datetime | None:
    """An ISO 8601 instant with its offset as a UTC datetime, or None for anything else (reading
    what can be read of a record that failed validation)."""
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else None


def phone_key(phone: str) -> str:
    """A stable pseudonym for a phone number, for Kafka keys and Redis keys."""
    return sha256(phone.encode()).hexdigest()[:32]
