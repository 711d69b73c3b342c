"""Thousands of hypothesis-drawn hostile webhook requests against the gateway on fakes: random
forms (unicode, empty, repeated keys), raw bytes, oversized and chunked bodies, wrong content
types, missing, forged and replayed signatures. Never a 500, never published unless signed for
the very URL it was sent to, a valid webhook always accepted, a refusal never repeats a value,
and the log never carries the sender's number or text."""

from __future__ import annotations

import logging
import os
from collections import Counter

import pytest

from shared.events import InboundSmsReceived, SmsStatusReceived
from shared.logging import JsonFormatter
from tests import summary as report
from tests.hostile.strategies import collect
from tests.hostile.webhooks import check_answer, requests, send, should_accept
from tests.unit.gateway.support import PUBLIC, TOKEN, harness

REQUESTS = int(os.environ.get("MTM_GATEWAY_FUZZ_REQUESTS", "1500"))
LIMIT = 4096


async def test_hostile_webhooks_are_refused_and_valid_ones_published_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mtm")
    drawn = collect(requests(max_body=LIMIT), REQUESTS)
    problems: list[str] = []
    answers: Counter[int] = Counter()
    by_signature: Counter[str] = Counter()
    accepted: list[str] = []
    async with harness(max_body_bytes=LIMIT) as h:
        for request in drawn:
            response = await send(h.client, request, public=PUBLIC, token=TOKEN)
            answers[response.status_code] += 1
            by_signature[f"{request.signature}:{response.status_code}"] += 1
            if (problem := check_answer(request, response)) is not None:
                problems.append(f"{problem}: {request!r}"[:600])
            if response.status_code == 200:
                accepted.append(dict(request.pairs)["MessageSid"])
        published = list(h.publisher.events)
    assert problems == []
    # Published: exactly the accepted webhooks, each once.
    assert sorted(e.message_sid for e in published) == sorted(accepted)  # type: ignore[attr-defined]
    assert all(isinstance(e, InboundSmsReceived | SmsStatusReceived) for e in published)
    assert sum(should_accept(r) for r in drawn) <= len(accepted)
    # The log: one line per webhook, never a number or a text that was posted.
    raw = JsonFormatter(redact=False)
    text = "\n".join(raw.format(r) for r in caplog.records if r.name.startswith("mtm"))
    secrets = {v for r in drawn for k, v in r.pairs if k in ("From", "Body") and len(v) >= 8}
    assert [s for s in secrets if s in text] == []
    report.add(
        "gateway fuzz (in memory)",
        requests=len(drawn),
        answers=dict(sorted(answers.items())),
        published=len(published),
        valid_webhooks=sum(should_accept(r) for r in drawn),
        shapes=dict(Counter(r.shape for r in drawn)),
        sizes=dict(Counter(r.size for r in drawn)),
        chunked=sum(r.chunked for r in drawn),
        signatures=dict(Counter(r.signature for r in drawn)),
        answers_by_signature=dict(sorted(by_signature.items())),
    )
