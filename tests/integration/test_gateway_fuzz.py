"""The hostile webhook requests of tests/unit/gateway/test_fuzz.py, fewer of them, against the
gateway as a real process (uvicorn, the real Kafka and Redis): the same answers, and on Kafka
exactly the webhooks it accepted."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from shared import topics
from tests import summary as report
from tests.hostile.strategies import collect
from tests.hostile.webhooks import FORM, check_answer, requests, send
from tests.integration.gateway_support import TOKEN, GatewayProcess, gateway_process, read_all

pytestmark = pytest.mark.integration

REQUESTS = int(os.environ.get("MTM_GATEWAY_FUZZ_PROCESS_REQUESTS", "300"))
LIMIT = 8192


@pytest.fixture
def gateway(kafka: str, service_env: dict[str, str], tmp_path: Path) -> Iterator[GatewayProcess]:
    with gateway_process(service_env, tmp_path, max_body_bytes=str(LIMIT)) as gw:
        yield gw


async def test_hostile_webhooks_against_the_process(
    gateway: GatewayProcess, kafka: str, prefix: str
) -> None:
    await gateway.wait_ready()
    drawn = collect(requests(max_body=LIMIT), REQUESTS)
    problems: list[str] = []
    answers: Counter[int] = Counter()
    accepted: set[str] = set()
    async with httpx.AsyncClient(base_url=gateway.url, timeout=20) as client:
        for request in drawn:
            response = await send(client, request, public=gateway.url, token=TOKEN)
            answers[response.status_code] += 1
            if (problem := check_answer(request, response)) is not None:
                problems.append(f"{problem}: {request!r}"[:600])
            if response.status_code == 200:
                accepted.add(dict(request.pairs)["MessageSid"])
        # A megabyte, announced, then chunked without a length; and a small body announced as
        # two megabytes. Nothing is read past the limit.
        big = b"Body=" + b"x" * 1_000_000

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(big), 65536):
                yield big[i : i + 65536]

        for content in (big, chunks()):
            response = await client.post(
                "/twilio/sms", content=content, headers={"Content-Type": FORM}
            )
            assert response.status_code == 400, response.text
        assert await lying_length(gateway.url) == 400
        health = await client.get("/readyz")
    assert problems == []
    assert health.status_code == 200
    assert gateway.process.poll() is None, "the gateway died"
    published = [
        json.loads(r.value)["message_sid"]
        for topic in (topics.SMS_INBOUND, topics.SMS_STATUS)
        for r in await read_all(kafka, prefix + topic)
    ]
    assert sorted(published) == sorted(accepted)
    output = gateway.output()
    assert "Traceback" not in output
    secrets = {v for r in drawn for k, v in r.pairs if k in ("From", "Body") and len(v) >= 8}
    assert [s for s in secrets if s in output] == []
    report.add(
        "gateway fuzz (process)",
        requests=len(drawn) + 3,
        answers=dict(sorted(answers.items())),
        published=len(published),
    )


async def lying_length(url: str) -> int:
    """POST a few bytes announced as two megabytes (httpx refuses to); the answer's status."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + FORM.encode()
            + b"\r\nContent-Length: 2000000\r\n\r\nBody=x"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        return int(status_line.split()[1])
    finally:
        writer.close()
