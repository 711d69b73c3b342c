"""Hypothesis strategies for hostile Kafka records: valid events (shared.testing.factories)
mutated into everything a broken or malicious producer can send.

A `Raw` is what lands on a topic: value bytes, key, headers. `hostile_record(topic)` draws one
mutation of a valid event of that topic; `classify` says which consumers could accept it, the way
FastStream would (header decoding, content type, JSON, then the handler's annotated type).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from shared import topics
from shared.events import EVENT_TYPES, TOPIC_EVENTS, Event, NotificationRequested
from shared.testing.factories import sample

T = TypeVar("T")

HUGE_MAX = 900_000
"""The largest generated string: a record stays under the producer's 1 MiB request limit."""


@dataclass(frozen=True)
class Raw:
    """One record as a producer sends it."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    mutation: str = ""


@functools.cache
def valid_bodies(topic: str) -> list[dict[str, Any]]:
    """One valid example of every event type of a topic, as JSON objects."""
    events: list[Event] = [sample(cls) for cls in TOPIC_EVENTS[topic]]
    if topic == topics.NOTIFY_URGENT:
        events = [sample(NotificationRequested, priority="urgent")]
    return [json.loads(e.model_dump_json()) for e in events]


# --- values a hostile producer puts in fields ------------------------------------------------

BAD_ZONES = [
    "Mars/Olympus",
    "",
    "america/chicago",
    "EST",
    "CST6CDT",
    "UTC+5",
    "../../../etc/passwd",
    "America/Chicago\x00",
    "America/",
    "/",
    "America/Chicago ",
    "\uff21merica/Chicago",  # fullwidth A
    "America/Chicago/Extra",
    "posix/America/Chicago/../../../../etc/localtime",
]
BAD_PHONES = [
    "5125550143",
    "+1512555",
    "+15125550143x",
    "+0000000000",
    "+1 512 555 0143",
    "(512) 555-0143",
    "tel:+15125550143",
    "+\uff11\uff15\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff14\uff13",  # fullwidth digits
    "+15125550143\n",
    "+999999999999999999",
    "++15125550143",
    "",
    "+",
    "+1512555014٣",
]
BAD_VERSIONS: list[Any] = [0, 2, 99, -1, 2**63, "1", 1.0, 1.5, True, None, [1], {"v": 1}]
BAD_TIMESTAMPS: list[Any] = [
    "2026-03-10T15:00:00",
    "yesterday",
    "2026-13-40T25:61:00Z",
    "0000-01-01T00:00:00Z",
    "99999-01-01T00:00:00Z",
    1773154800,
    -1,
    "",
    "2026-03-10T15:00:00+25:00",
]
OTHER_TYPES: list[Any] = [None, True, 0, -1, 1.5, 2**70, "", "x", [], [None], {}, {"a": 1}]


def _repeat(seed: str, size: int) -> str:
    return (seed * (size // len(seed) + 1))[:size]


# Long strings, cheap to draw: a short seed repeated. ASCII up to HUGE_MAX characters (mostly
# shorter: a run moves tens of megabytes, not gigabytes); other scripts up to 100k characters
# (escaped as \uXXXX they take six bytes each).
_HUGE_TEXT = st.builds(
    _repeat,
    st.text(alphabet=st.characters(min_codepoint=35, max_codepoint=126), min_size=1),
    st.sampled_from([1_000, 1_000, 10_000, 10_000, 65_537, 65_537, 300_000, HUGE_MAX]),
) | st.builds(_repeat, st.text(min_size=1, max_size=4), st.sampled_from([1_000, 20_000, 100_000]))
_MUTATIONS = st.sampled_from(
    [
        "drop_field",
        "wrong_type",
        "huge_string",
        "bad_zone",
        "bad_phone",
        "schema_version",
        "event_type",
        "bad_timestamp",
        "deep_nesting",
        "null_everything",
        "several",
    ]
)
_SEVERAL = st.lists(st.sampled_from(["drop_field", "wrong_type", "event_type"]), min_size=2)
_OTHER_TYPE = st.sampled_from(OTHER_TYPES)
_BAD_ZONE = st.sampled_from(BAD_ZONES) | st.text(max_size=40)
_BAD_PHONE = st.sampled_from(BAD_PHONES) | st.from_regex(r"\+?[0-9 ()-]{0,20}", fullmatch=True)
_BAD_VERSION = st.sampled_from(BAD_VERSIONS) | st.integers()
_BAD_TIMESTAMP = st.sampled_from(BAD_TIMESTAMPS)
_DEPTH = st.integers(10, 3000)
_NESTING = st.sampled_from(["list", "dict"])
_SHAPES = st.sampled_from(
    [
        "mutated",
        "mutated",
        "mutated",
        "mutated",
        "not_utf8",
        "not_json",
        "truncated_json",
        "json_scalar",
        "deep_document",
        "duplicate_keys",
    ]
)
_NOT_UTF8 = st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"])
_NOT_JSON = st.sampled_from(
    ["", "hello", "{'a': 1}", "{a: 1}", "<xml/>", "[1,]", "NaN", "{}}", "\ufeff{}"]
) | st.text(max_size=200)
_KEY_KIND = st.sampled_from(["none"] * 10 + ["bytes"] * 10 + ["text"] * 10 + ["huge"])
_HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["content-type", "correlation_id", "x-trace", "reply_to", "\u00ea"]),
        st.sampled_from([b"application/json", b"text/plain", b"\xff\xfe", b"", b"application/xml"])
        | st.binary(max_size=16),
    ),
    max_size=3,
)
MAX_RECORD = 1_040_000
"""Value plus key stay under this (the producer refuses more than 1 MiB per request)."""


def _deep(depth: int, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def _field_of(body: dict[str, Any], draw: Any, predicate: Callable[[str], bool]) -> str | None:
    names = sorted(k for k in body if predicate(k))
    return draw(st.sampled_from(names)) if names else None


@functools.cache
def _foreign_types(topic: str) -> st.SearchStrategy[Any]:
    own = {b["event_type"] for b in valid_bodies(topic)}
    names = [*sorted(set(EVENT_TYPES) - own), "PatientTeleported", "", "patientenrolled"]
    return st.sampled_from(names) | st.text(max_size=30) | _OTHER_TYPE


@functools.cache
def _valid_choice(topic: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(valid_bodies(topic))


def _mutate(draw: Any, topic: str, body: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "drop_field":
        if name := _field_of(body, draw, lambda _: True):
            body.pop(name)
    elif kind == "wrong_type":
        if name := _field_of(body, draw, lambda _: True):
            body[name] = draw(_OTHER_TYPE)
    elif kind == "huge_string":
        name = _field_of(body, draw, lambda n: isinstance(body[n], str))
        body[name or "event_type"] = draw(_HUGE_TEXT)
    elif kind == "bad_zone":
        body["zone"] = draw(_BAD_ZONE)
    elif kind == "bad_phone":
        body[_field_of(body, draw, lambda n: "phone" in n) or "phone"] = draw(_BAD_PHONE)
    elif kind == "schema_version":
        body["schema_version"] = draw(_BAD_VERSION)
    elif kind == "event_type":
        body["event_type"] = draw(_foreign_types(topic))
    elif kind == "bad_timestamp":
        body[_field_of(body, draw, lambda n: n.endswith("_at")) or "occurred_at"] = draw(
            _BAD_TIMESTAMP
        )
    elif kind == "deep_nesting":
        name = _field_of(body, draw, lambda _: True) or "x"
        body[name] = _deep(draw(_DEPTH), draw(_NESTING))
    elif kind == "null_everything":
        body = dict.fromkeys(body)
    return body


def _dumps(value: Any, *, ascii_only: bool) -> bytes:
    """JSON as a producer would write it: raw UTF-8 or \\u escapes (both valid)."""
    try:
        return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        return b'{"event_type": ' * 50


def _body_bytes(draw: Any, topic: str) -> tuple[bytes, str]:
    """Bytes of a record's value: mutated JSON, or something that is not an event at all."""
    shape = draw(_SHAPES)
    body = dict(draw(_valid_choice(topic)))
    valid = json.dumps(body).encode()
    if shape == "mutated":
        kind = draw(_MUTATIONS)
        kinds = draw(_SEVERAL) if kind == "several" else [kind]
        for k in kinds:
            body = _mutate(draw, topic, body, k)
        return _dumps(body, ascii_only=draw(st.booleans())), "+".join(kinds)
    if shape == "not_utf8":
        at = draw(st.integers(0, len(valid)))
        junk = draw(_NOT_UTF8) + draw(st.binary(max_size=64))
        return valid[:at] + junk + valid[at:], shape
    if shape == "not_json":
        return draw(_NOT_JSON).encode("utf-8", "surrogatepass"), shape
    if shape == "truncated_json":
        return valid[: draw(st.integers(0, len(valid) - 1))], shape
    if shape == "json_scalar":
        value = draw(st.sampled_from([None, [], [body], 1, "event", True, 1.5, {}]))
        return json.dumps(value).encode(), shape
    if shape == "deep_document":
        depth = draw(st.integers(100, 20_000))
        return (b"[" * depth) + (b"]" * depth), shape
    # Duplicate keys: json.loads keeps the last one.
    return valid[:-1] + b', "event_type": "Nope", "event_type": null}', shape


def _key(draw: Any) -> bytes | None:
    kind = draw(_KEY_KIND)
    if kind == "none":
        return None
    if kind == "bytes":
        return bytes(draw(st.binary(max_size=40)))
    if kind == "text":
        return str(draw(st.text(max_size=20))).encode("utf-8", "surrogatepass")
    return b"k" * 20_000


@st.composite
def hostile_record(draw: Any, topic: str) -> Raw:
    """One hostile record for `topic`: value, key and headers all drawn."""
    value, mutation = _body_bytes(draw, topic)
    key = _key(draw)
    room = MAX_RECORD - len(key or b"")
    return Raw(value=value[:room], key=key, headers=tuple(draw(_HEADERS)), mutation=mutation)


def collect(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """Up to `count` examples of a strategy, drawn by hypothesis (generate phase only, no
    shrinking; derandomized under the CI profile, so a CI run can be repeated exactly)."""
    found: list[T] = []

    @settings(
        max_examples=count,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(record: T) -> None:
        found.append(record)

    draw()
    return found


# --- what the consumers make of a record --------------------------------------------------------


def decoded(record: Raw) -> Any:
    """The message body as FastStream hands it to a handler (raises where FastStream raises)."""
    # Header values are read with replacement characters (shared.broker), the body strictly.
    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
    body = record.value or b""
    content_type = headers.get("content-type")
    if content_type:
        if content_type == "text/plain":
            return body.decode()
        if content_type.startswith("application/json"):
            return json.loads(body)
        return body
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body


def accepted_by(record: Raw, adapters: Sequence[TypeAdapter[Any]]) -> list[bool]:
    """For each consumer's handler type: would it accept this record?"""
    try:
        body = decoded(record)
    except (ValueError, RecursionError):
        return [False] * len(adapters)
    verdicts = []
    for adapter in adapters:
        try:
            adapter.validate_python(body)
        except (ValidationError, RecursionError):
            verdicts.append(False)
        else:
            verdicts.append(True)
    return verdicts


def shuffled(items: list[Any], seed: int) -> list[Any]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out
