"""The fake's in-memory state, shared by the server thread and the test thread."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from .model import (
    MAGIC_TO,
    POOL_SENDER,
    Message,
    TwilioError,
    callback_params,
    to_api,
    to_inspection,
)


@dataclass(frozen=True)
class Faults:
    """Every fault knob; the defaults mean a well-behaved Twilio."""

    error_by_number: Mapping[str, int]
    undelivered_by_number: Mapping[str, int]
    burst_429: int = 0
    rate_5xx: float = 0.0
    fail_5xx_before_record: int = 0
    fail_5xx_after_record: int = 0
    latency_ms: int = 0
    drop_callbacks_rate: float = 0.0
    callback_delay_ms: int = 20
    seed: int | None = None
    # Configuration faults: they last until the knob is set back, as a real one lasts until
    # an operator fixes it.
    error_by_sender: Mapping[str, int] = field(default_factory=dict)
    reject_auth: bool = False
    reject_account: bool = False


KNOBS = frozenset(f.name for f in fields(Faults))
COUNTERS = ("burst_429", "fail_5xx_before_record", "fail_5xx_after_record")
NUMBER_MAPS = ("error_by_number", "undelivered_by_number", "error_by_sender")
RATES = ("rate_5xx", "drop_callbacks_rate")
SWITCHES = ("reject_auth", "reject_account")


def check_knobs(knobs: Mapping[str, Any]) -> dict[str, Any]:
    """Validated knob values; ValueError names the first bad one."""
    unknown = set(knobs) - KNOBS
    if unknown:
        raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
    checked: dict[str, Any] = {}
    for name, value in knobs.items():
        if name in NUMBER_MAPS:
            if not isinstance(value, Mapping) or not all(_is_int(c) for c in value.values()):
                raise ValueError(f"{name} must map numbers to integer error codes")
            checked[name] = {str(k): int(v) for k, v in value.items()}
        elif name in RATES:
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number from 0.0 to 1.0")
            checked[name] = float(value)
        elif name in SWITCHES:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            checked[name] = value
        elif name == "seed":
            if value is not None and not _is_int(value):
                raise ValueError("seed must be an integer or null")
            checked[name] = value
        else:
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
            checked[name] = value
    return checked


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class FaultState:
    """The current knobs, the counters they consume and the seeded RNG."""

    def __init__(self, defaults: Faults) -> None:
        self._lock = threading.Lock()
        self._defaults = defaults
        self._faults = defaults
        self._rng = random.Random(defaults.seed)

    def update(self, knobs: Mapping[str, Any]) -> None:
        """Set the given knobs; the others keep their values."""
        checked = check_knobs(knobs)
        with self._lock:
            self._faults = replace(self._faults, **checked)
            if "seed" in checked:
                self._rng.seed(checked["seed"])

    def reset(self) -> None:
        """Back to the defaults FakeTwilio was built with, RNG re-seeded."""
        with self._lock:
            self._faults = self._defaults
            self._rng.seed(self._defaults.seed)

    def snapshot(self) -> dict[str, Any]:
        """The knobs as JSON-ready values (counters show what is left)."""
        with self._lock:
            current = self._faults
        view = {f.name: getattr(current, f.name) for f in fields(Faults)}
        for name in NUMBER_MAPS:
            view[name] = dict(view[name])
        return view

    @property
    def current(self) -> Faults:
        """The knobs as they are now."""
        return self._faults

    def take(self, counter: str) -> bool:
        """Consume one unit of a counter knob; False when it is already spent."""
        with self._lock:
            left = getattr(self._faults, counter)
            if left <= 0:
                return False
            self._faults = replace(self._faults, **{counter: left - 1})
            return True

    def chance(self, rate_knob: str) -> bool:
        """Draw from the seeded RNG against a rate knob."""
        with self._lock:
            rate = getattr(self._faults, rate_knob)
            return rate > 0 and self._rng.random() < rate

    def sync_error_for(self, to: str) -> int | None:
        """The error code a create to this number must fail with, if any."""
        return self._faults.error_by_number.get(to, MAGIC_TO.get(to))

    def sender_error_for(self, form: Mapping[str, str]) -> int | None:
        """The error code a create from this sender (From or MessagingServiceSid) must fail
        with, if any."""
        by_sender = self._faults.error_by_sender
        return by_sender.get(form.get("From", "")) or by_sender.get(
            form.get("MessagingServiceSid", "")
        )

    def outcome_for(self, to: str) -> int | None:
        """The ErrorCode a message to this number will end undelivered with, if any."""
        return self._faults.undelivered_by_number.get(to)


@dataclass(frozen=True)
class Query:
    """Filters of the list endpoint."""

    to: str | None = None
    from_: str | None = None
    sent_on: date | datetime | None = None
    sent_before: date | datetime | None = None
    sent_after: date | datetime | None = None

    def matches(self, m: Message) -> bool:
        """Whether the message passes every filter given."""
        if self.to is not None and m.to != self.to:
            return False
        if self.from_ is not None and m.from_ != self.from_:
            return False
        # A message not sent yet is matched on its creation time, so that reconciliation by
        # date finds messages still queued.
        moment = m.sent or m.created
        return (
            _same_day(moment, self.sent_on)
            and _on_or_before(moment, self.sent_before)
            and _on_or_after(moment, self.sent_after)
        )


def _same_day(moment: datetime, bound: date | datetime | None) -> bool:
    return bound is None or moment.astimezone(UTC).date() == _day(bound)


def _on_or_before(moment: datetime, bound: date | datetime | None) -> bool:
    if bound is None:
        return True
    if isinstance(bound, datetime):
        return moment <= bound
    return moment.astimezone(UTC).date() <= bound


def _on_or_after(moment: datetime, bound: date | datetime | None) -> bool:
    if bound is None:
        return True
    if isinstance(bound, datetime):
        return moment >= bound
    return moment.astimezone(UTC).date() >= bound


def _day(bound: date | datetime) -> date:
    return bound.astimezone(UTC).date() if isinstance(bound, datetime) else bound


def parse_date(value: str, name: str) -> date | datetime:
    """A DateSent filter value: "YYYY-MM-DD" or an ISO 8601 UTC datetime."""
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(20001, 400, f"Invalid {name}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Store:
    """Accepted messages in acceptance order, indexed by sid and by To."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, Message] = {}
        self._by_to: dict[str, list[Message]] = {}
        self._seq = 0

    def add(self, build: Callable[[int], Message]) -> Message:
        """Record the message `build(seq)` returns; seq orders messages."""
        with self._lock:
            self._seq += 1
            message = build(self._seq)
            self._by_sid[message.sid] = message
            self._by_to.setdefault(message.to, []).append(message)
            return message

    def advance(self, sid: str, status: str, now: datetime) -> dict[str, str] | None:
        """Move a message to a new status; its callback params, or None if it is gone."""
        with self._lock:
            m = self._by_sid.get(sid)
            if m is None:
                return None
            m.status = status
            m.updated = now
            if status == "sent":
                m.sent = now
                m.from_ = m.from_ or POOL_SENDER
            if status == "undelivered":
                m.error_code = m.outcome
            return callback_params(m)

    def fetch(self, account_sid: str, sid: str) -> dict[str, object] | None:
        """One message as the REST API shows it."""
        with self._lock:
            m = self._by_sid.get(sid)
            return to_api(m) if m and m.account_sid == account_sid else None

    def page(
        self, account_sid: str, query: Query, *, size: int, after: str | None
    ) -> tuple[list[dict[str, object]], bool]:
        """Up to `size` matches, newest first, older than message `after`; and if more exist."""
        with self._lock:
            pool: Iterable[Message] = (
                self._by_to.get(query.to, []) if query.to is not None else self._by_sid.values()
            )
            start = self._by_sid[after].seq if after in self._by_sid else None
            found: list[Message] = []
            for m in reversed(list(pool)):
                if start is not None and m.seq >= start:
                    continue
                if m.account_sid == account_sid and query.matches(m):
                    found.append(m)
                    if len(found) > size:
                        break
            return [to_api(m) for m in found[:size]], len(found) > size

    def count(self) -> int:
        """How many messages were accepted (cheap enough to poll during a benchmark)."""
        with self._lock:
            return len(self._by_sid)

    def inspection(self) -> list[dict[str, object]]:
        """Every message in acceptance order, as /_fake/messages shows it."""
        with self._lock:
            return [to_inspection(m) for m in self._by_sid.values()]

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._by_sid.clear()
            self._by_to.clear()
