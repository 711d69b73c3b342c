"""Hypothesis strategies for hostile webhook requests to the gateway, and what any answer to
one of them must satisfy. Used in memory (tests/unit/gateway/test_fuzz.py, thousands of
requests) and against the real process (tests/integration/test_gateway_fuzz.py)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from services.gateway.rules import FORM_NAMES

FIELD_NAMES = frozenset(FORM_NAMES.values())
"""Twilio form fields the gateway may name in a refusal."""

FORM = "application/x-www-form-urlencoded"
PATHS = ("/twilio/sms", "/twilio/status")
SIGNATURES = (
    "valid",
    "valid",
    "valid",
    "missing",
    "forged",
    "wrong_token",
    "other_path",
    "other_query",
    "other_host",
    "tampered",
)
SHAPES = ("webhook",) * 4 + ("webhook_with_noise",) * 2 + ("random_form", "raw")
CONTENT_TYPES = (
    *(FORM,) * 6,
    FORM + "; charset=utf-8",
    FORM + "; charset=latin-1",
    "application/json",
    "multipart/form-data; boundary=x",
    "text/plain",
    "",
    None,
)


@dataclass(frozen=True)
class Request:
    """One request to send: where, what, how it is signed, how the body travels."""

    path: str
    query: str
    pairs: tuple[tuple[str, str], ...]
    raw: bytes | None
    content_type: str | None
    signature: str
    chunked: bool
    size: str
    shape: str

    def body(self) -> bytes:
        return self.raw if self.raw is not None else urlencode(list(self.pairs)).encode()

    def submitted(self) -> list[str]:
        """Values a refusal must never repeat (long enough to be recognised)."""
        return [v for _, v in self.pairs if len(v) >= 6 and v.strip()]


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def _webhook(path: str, phone: str, body: str, status: str) -> list[tuple[str, str]]:
    sid = _sid()
    if path == "/twilio/sms":
        return [
            ("MessageSid", sid),
            ("AccountSid", "AC" + "1" * 32),
            ("From", phone),
            ("To", "+15125550100"),
            ("Body", body),
            ("NumMedia", "0"),
        ]
    return [("MessageSid", sid), ("MessageStatus", status), ("To", phone)]


_TEXT = st.text(max_size=60) | st.sampled_from(["", " ", "&", "=", "%", "+", "\x00", "\ufeff"])
VALID_PHONES = ("+15125550143", "+15125550177")
_PHONES = st.sampled_from([*VALID_PHONES, "5125550143", "+1512", "", "+15125550143 "])
_BODIES = st.text(min_size=0, max_size=200) | st.sampled_from(["STOP", "1", "ACK 4821", "¿Mañana?"])
VALID_STATUSES = ("delivered", "undelivered", "failed", "sent")
_STATUS = st.sampled_from([*VALID_STATUSES, "READ", "", "x" * 40])


@st.composite
def requests(draw: Any, *, max_body: int) -> Request:
    """A request a hostile or broken client could send to a webhook."""
    path = draw(st.sampled_from(PATHS))
    shape = draw(st.sampled_from(SHAPES))
    pairs = _webhook(path, draw(_PHONES), draw(_BODIES), draw(_STATUS))
    raw = None
    if shape == "webhook_with_noise":
        noise = draw(st.lists(st.tuples(_TEXT.filter(bool), _TEXT), max_size=8))
        pairs += noise
        if draw(st.booleans()):  # a field the gateway reads, given twice
            pairs.append(draw(st.sampled_from(pairs)))
    elif shape == "random_form":
        pairs = draw(st.lists(st.tuples(_TEXT, _TEXT), min_size=0, max_size=12))
    elif shape == "raw":
        raw = draw(
            st.binary(max_size=300)
            | st.sampled_from([b"Body=%FF%FE", b"a=1&&b=2", b"=x", b"a", b"{}", b"\xff\xfe=1"])
        )
    size = draw(st.sampled_from(["normal"] * 12 + ["oversized", "huge"]))
    if size != "normal":
        filler = max_body + 1 if size == "oversized" else max_body * 8
        pairs.append(("Filler", "x" * filler))
    return Request(
        path=path,
        query=draw(st.sampled_from(["", "", "", "a=1", "x=%00&y=2"])),
        pairs=tuple(pairs),
        raw=raw,
        content_type=draw(st.sampled_from(CONTENT_TYPES)),
        signature=draw(st.sampled_from(SIGNATURES)),
        chunked=draw(st.booleans()),
        size=size,
        shape=shape,
    )


class _Multi(dict[str, list[str]]):
    def getall(self, key: str) -> list[str]:
        return self[key]


def sign(url: str, pairs: Sequence[tuple[str, str]], token: str) -> str:
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    return str(RequestValidator(token).compute_signature(url, _Multi(multi)))


def headers_for(request: Request, *, public: str, token: str) -> dict[str, str]:
    """Content type and X-Twilio-Signature as the request's variant says."""
    headers: dict[str, str] = {}
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    target = request.path + (f"?{request.query}" if request.query else "")
    url = public + target
    pairs = list(request.pairs)
    kind = request.signature
    if kind == "missing":
        return headers
    if kind == "forged":
        signature = base64.b64encode(uuid.uuid4().bytes + b"\x00" * 4).decode()
    elif kind == "wrong_token":
        signature = sign(url, pairs, token + "-not")
    elif kind == "other_path":
        other = PATHS[1] if request.path == PATHS[0] else PATHS[0]
        signature = sign(
            public + other + (f"?{request.query}" if request.query else ""), pairs, token
        )
    elif kind == "other_query":
        signature = sign(public + request.path + ("" if request.query else "?a=1"), pairs, token)
    elif kind == "other_host":
        signature = sign("https://evil.example" + target, pairs, token)
    elif kind == "tampered":  # signed before a value was changed on the way
        signature = sign(url, [*pairs, ("Body", "tampered")], token)
    else:
        signature = sign(url, pairs, token)
    headers["X-Twilio-Signature"] = signature
    return headers


async def send(
    client: httpx.AsyncClient, request: Request, *, public: str, token: str
) -> httpx.Response:
    body = request.body()
    content: Any = body
    if request.chunked:

        async def chunks() -> Any:
            for i in range(0, len(body), 4096):
                yield body[i : i + 4096]

        content = chunks()  # no Content-Length: the gateway must count what arrives
    target = request.path + (f"?{request.query}" if request.query else "")
    return await client.post(
        target, content=content, headers=headers_for(request, public=public, token=token)
    )


def well_formed(request: Request) -> bool:
    """Whether the gateway gets as far as the signature: a form body in UTF-8, form type."""
    media = (request.content_type or "").split(";")
    if media[0].strip().lower() != FORM:
        return False
    if any(p.strip().lower().startswith("charset=") and "utf" not in p.lower() for p in media[1:]):
        return False
    if request.size != "normal":
        return False
    body = request.body()
    if request.raw is not None or not body:
        return False
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return bool(pairs) and all(k for k, _ in pairs) and body.count(b"&") + 1 <= 200


def should_accept(request: Request) -> bool:
    """A complete, valid webhook, well formed and signed for the URL it was sent to."""
    if request.shape != "webhook" or request.signature != "valid" or not well_formed(request):
        return False
    fields = dict(request.pairs)
    if request.path == "/twilio/sms":
        return fields.get("From") in VALID_PHONES
    return fields.get("MessageStatus") in VALID_STATUSES


def check_answer(request: Request, response: httpx.Response) -> str | None:
    """What is wrong with this answer, if anything (None: the answer is acceptable)."""
    status = response.status_code
    if status not in (200, 400, 403):
        return f"status {status}"
    if should_accept(request) and status != 200:
        return f"a valid signed webhook answered {status}"
    if status == 200 and request.signature != "valid":
        return "accepted without a valid signature"
    if request.size != "normal" and status != 400:
        return f"oversized body answered {status}"
    if request.signature != "valid" and well_formed(request) and status != 403:
        return f"bad signature on a well-formed form answered {status}"
    if status in (400, 403):
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            return "refusal without a JSON reason"
        # A reason names the fields it refuses ("NumMedia: not an integer"): a submitted value
        # that is itself a field name ("NumMedia" sent as a value) is no leak when named.
        leaked = [v for v in request.submitted() if v in error and v not in FIELD_NAMES]
        if leaked:
            return f"refusal repeats a submitted value: {json.dumps(leaked[:1])}"
    return None
