"""On-call rosters: local shifts to UTC slots, who is on call at an instant, merges and gaps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from services.escalation.rules.localtime import parse_local


class RosterError(ValueError):
    """A roster that cannot be used as published (a shift that ends before it starts)."""


class LocalShift(Protocol):
    """A shift as published: local wall-clock times in the site's zone."""

    @property
    def start_local(self) -> str: ...

    @property
    def end_local(self) -> str: ...

    @property
    def primary_id(self) -> str: ...

    @property
    def backup_id(self) -> str | None: ...


@dataclass(frozen=True)
class Slot:
    """A shift as a half-open UTC interval [start, end)."""

    start: datetime
    end: datetime
    primary_id: str
    backup_id: str | None = None

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Roster:
    """A site's on-call roster, resolved to UTC."""

    site_id: str
    zone: str
    shifts: tuple[Slot, ...] = ()
    overrides: tuple[Slot, ...] = ()
    director_id: str | None = None


@dataclass(frozen=True)
class OnCall:
    """Who is on call at one instant."""

    primary_id: str
    backup_id: str | None
    override: bool = False


def slots(shifts: Iterable[LocalShift], zone: str, *, kind: str = "shift") -> tuple[Slot, ...]:
    """Local shifts as UTC slots; a shift that vanishes in the spring-forward gap is dropped."""
    out = []
    for index, shift in enumerate(shifts):
        try:
            start = parse_local(shift.start_local, zone)
            end = parse_local(shift.end_local, zone)
        except ValueError as exc:
            raise RosterError(f"{kind} {index} has an impossible date") from exc
        if end < start:
            raise RosterError(f"{kind} {index} ends before it starts")
        if end > start:
            out.append(Slot(start, end, shift.primary_id, shift.backup_id))
    return tuple(out)


def _latest(candidates: Sequence[Slot]) -> Slot | None:
    # Overlapping shifts (a hand-over written twice): the one that started last has taken over.
    return max(candidates, key=lambda s: s.start, default=None)


def on_call(roster: Roster | None, at: datetime) -> OnCall | None:
    """The primary (and backup) on call at `at`; an override wins over the shift under it."""
    if roster is None:
        return None
    shift = _latest([s for s in roster.shifts if s.covers(at)])
    overrides = [o for o in roster.overrides if o.covers(at)]
    if overrides:
        # Of overlapping overrides the last published wins.
        chosen = overrides[-1]
        backup = chosen.backup_id or (shift.backup_id if shift else None)
        return OnCall(chosen.primary_id, backup, override=True)
    if shift is None:
        return None
    return OnCall(shift.primary_id, shift.backup_id)


def _outside(slot: Slot, start: datetime, end: datetime) -> list[Slot]:
    """The parts of a slot outside [start, end)."""
    parts = []
    if slot.start < start:
        parts.append(replace(slot, end=min(slot.end, start)))
    if slot.end > end:
        parts.append(replace(slot, start=max(slot.start, end)))
    return parts


def merge(old: Roster | None, new: Roster) -> Roster:
    """A new roster replaces the old one for the period its shifts cover; the rest stays.

    A roster of overrides only (no shifts) adds its overrides and replaces nothing."""
    if old is None:
        return new
    if not new.shifts:
        return replace(
            old,
            overrides=old.overrides + new.overrides,
            director_id=new.director_id or old.director_id,
            zone=new.zone,
        )
    start = min(s.start for s in new.shifts)
    end = max(s.end for s in new.shifts)
    kept_shifts = [part for s in old.shifts for part in _outside(s, start, end)]
    kept_overrides = [part for o in old.overrides for part in _outside(o, start, end)]
    return Roster(
        site_id=new.site_id,
        zone=new.zone,
        shifts=tuple(sorted([*kept_shifts, *new.shifts], key=lambda s: s.start)),
        overrides=(*kept_overrides, *new.overrides),
        director_id=new.director_id or old.director_id,
    )


def prune(roster: Roster, before: datetime) -> Roster:
    """Drop slots that ended before `before` (keeps the stored roster small)."""
    return replace(
        roster,
        shifts=tuple(s for s in roster.shifts if s.end > before),
        overrides=tuple(o for o in roster.overrides if o.end > before),
    )


def gaps(roster: Roster | None, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The intervals within [start, end) where nobody is on call as primary."""
    covered = sorted(
        ((s.start, s.end) for s in (*roster.shifts, *roster.overrides)) if roster else (),
        key=lambda pair: pair[0],
    )
    holes = []
    cursor = start
    for slot_start, slot_end in covered:
        if slot_end <= cursor:
            continue
        if slot_start >= end:
            break
        if slot_start > cursor:
            holes.append((cursor, slot_start))
        cursor = max(cursor, slot_end)
        if cursor >= end:
            break
    if cursor < end:
        holes.append((cursor, end))
    return holes


def _slot_dict(slot: Slot) -> dict[str, Any]:
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "primary_id": slot.primary_id,
        "backup_id": slot.backup_id,
    }


def _slot(data: dict[str, Any]) -> Slot:
    return Slot(
        datetime.fromisoformat(data["start"]),
        datetime.fromisoformat(data["end"]),
        data["primary_id"],
        data.get("backup_id"),
    )


def to_dict(roster: Roster) -> dict[str, Any]:
    """A roster as JSON-ready data."""
    return {
        "site_id": roster.site_id,
        "zone": roster.zone,
        "director_id": roster.director_id,
        "shifts": [_slot_dict(s) for s in roster.shifts],
        "overrides": [_slot_dict(o) for o in roster.overrides],
    }


def from_dict(data: dict[str, Any]) -> Roster:
    """A roster from `to_dict` data."""
    return Roster(
        site_id=data["site_id"],
        zone=data["zone"],
        director_id=data.get("director_id"),
        shifts=tuple(_slot(s) for s in data.get("shifts", ())),
        overrides=tuple(_slot(o) for o in data.get("overrides", ())),
    )
