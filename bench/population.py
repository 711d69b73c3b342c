"""Test populations: patients with unique numbers, in the dispatcher's directory as its own
handler would store them (the same Directory code, in bulk, because 50,000 enrolments through
Kafka would take minutes of every run and measure enrolment rather than sending)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from services.dispatcher.contacts.directory import Contact, Directory
from shared.topics import RedisPrefix, redis_prefix

ZONES = ("America/Chicago", "America/Denver", "America/Los_Angeles")
SITE_OF_ZONE = {
    "America/Chicago": "austin",
    "America/Denver": "el-paso",
    "America/Los_Angeles": "seattle",
}


@dataclass(frozen=True)
class Patient:
    patient_id: str
    phone: str
    zone: str

    @property
    def site_id(self) -> str:
        return SITE_OF_ZONE[self.zone]


def patients(n: int, *, tag: str = "p") -> list[Patient]:
    """n patients spread over Chicago, Denver and Los Angeles, each with a number of their own
    (+1 555 01x xxxx is never a real subscriber, and not one of Twilio's magic numbers)."""
    out = []
    for i in range(n):
        zone = ZONES[i % 3]
        area = 214 + i // 10_000  # +1 214 555 0000, +1 214 555 0001, ... +1 215 555 0000, ...
        out.append(Patient(f"{tag}-{i:06d}", f"+1{area}555{i % 10_000:04d}", zone))
    return out


async def into_directory(
    redis: Redis,
    namespace: str,
    people: Sequence[Patient],
    *,
    consents: tuple[str, ...] = ("appointments", "medications", "symptoms"),
    quiet_hours: tuple[str, str] | None = None,
) -> None:
    """Store each patient as ContactsHandler does on PatientEnrolled (Directory.put);
    `quiet_hours` ("00:00", "00:00"): the patient's own preference, texts at any hour."""
    directory = Directory(redis, redis_prefix(namespace, RedisPrefix.DISPATCHER))

    async def put(p: Patient) -> None:
        await directory.put(
            Contact(
                kind="patient",
                id=p.patient_id,
                phone=p.phone,
                language="en",
                zone=p.zone,
                site_id=p.site_id,
                programs=tuple(sorted(consents)),
                quiet_start=quiet_hours[0] if quiet_hours else None,
                quiet_end=quiet_hours[1] if quiet_hours else None,
            )
        )

    for start in range(0, len(people), 64):
        await asyncio.gather(*(put(p) for p in people[start : start + 64]))
