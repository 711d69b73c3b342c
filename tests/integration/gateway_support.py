"""The gateway as a real process, Twilio-signed posts to it, and reading a whole topic."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from twilio.request_validator import RequestValidator

from deploy.local.private_kafka import free_port
from tests.kafka_tools import eventually

TOKEN = "integration-auth-token-5f1c"
FORM = "application/x-www-form-urlencoded"


@dataclass
class GatewayProcess:
    """A running `python -m services.gateway`; `url` is where it listens (and what Twilio calls)."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_ready(self, timeout: float = 30) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:

            async def ready() -> bool:
                assert self.process.poll() is None, f"gateway exited:\n{self.output()[-3000:]}"
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=timeout, message="gateway /readyz answers 200")


@contextmanager
def gateway_process(
    env: Mapping[str, str], log_dir: Path, **settings: str
) -> Iterator[GatewayProcess]:
    """The gateway with `env` plus MTM_GATEWAY__<NAME> per setting; stopped on exit, always."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = {
        **env,
        "MTM_TWILIO__AUTH_TOKEN": TOKEN,
        "MTM_GATEWAY__PORT": str(port),
        "MTM_GATEWAY__PUBLIC_BASE_URL": url,
        **{f"MTM_GATEWAY__{name.upper()}": value for name, value in settings.items()},
    }
    log = log_dir / f"gateway-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.gateway"],
            env=full_env,
            cwd=Path(__file__).resolve().parents[2],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield GatewayProcess(process, url, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def signed_headers(url: str, params: Mapping[str, str], *, token: str = TOKEN) -> dict[str, str]:
    """Headers of a webhook Twilio signed for `url`."""
    signature = RequestValidator(token).compute_signature(url, dict(params))
    return {"Content-Type": FORM, "X-Twilio-Signature": signature}


async def post_signed(
    client: httpx.AsyncClient,
    public: str,
    path: str,
    params: Mapping[str, str],
    *,
    signed_params: Mapping[str, str] | None = None,
    signed_for: str | None = None,
    token: str = TOKEN,
) -> httpx.Response:
    """POST a form as Twilio would; `signed_params`/`signed_for`/`token` forge a mismatch."""
    headers = signed_headers(signed_for or public + path, signed_params or params, token=token)
    return await client.post(path, content=urlencode(dict(params)), headers=headers)


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord[Any, Any]]:
    """Every record the topic holds right now, on all partitions (up to their end offsets)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    assert partitions, f"{topic} has no partitions"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[Any, Any]] = []

        async def drained() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            positions = [await consumer.position(tp) for tp in ends]
            return all(p >= end for p, end in zip(positions, ends.values(), strict=True))

        await eventually(drained, timeout=30, interval=0, message=f"{topic} read to its end")
        return records
    finally:
        await consumer.stop()
