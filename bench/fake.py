"""The fake Twilio as a process of its own (its CPU is then its own), and a client for it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.procs import ServiceProc
from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from deploy.local.private_kafka import free_port

# Status steps this far out never happen during a scenario: no status traffic competes with
# the sends being measured (the steady-state scenario sets its own delay and a callback URL).
QUIET_CALLBACK_DELAY_MS = 3_600_000


@dataclass
class FakeProcess:
    proc: ServiceProc
    base_url: str
    session: aiohttp.ClientSession | None = None

    @classmethod
    def launch(
        cls, log_dir: Path, *, callback_delay_ms: int = QUIET_CALLBACK_DELAY_MS, token: str = ""
    ) -> FakeProcess:
        port = free_port()
        args = [
            "--port",
            str(port),
            "--callback-delay-ms",
            str(callback_delay_ms),
            "--log-level",
            "WARNING",
            "--auth-token",
            token or DEFAULT_AUTH_TOKEN,
        ]
        proc = ServiceProc(
            "fake-twilio", "deploy.local.fake_twilio", {}, log_dir / "fake.log", tuple(args)
        )
        return cls(proc.start(), f"http://127.0.0.1:{port}")

    async def open(self, within: float = 20) -> FakeProcess:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        deadline = time.monotonic() + within
        while True:
            self.proc.check()
            try:
                await self.count()
                return self
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        self.proc.stop()

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        assert self.session is not None
        async with self.session.request(method, self.base_url + path, **kwargs) as response:
            response.raise_for_status()
            return await response.json()

    async def count(self) -> int:
        return int((await self._json("GET", "/_fake/count"))["messages"])

    async def reset(self) -> None:
        await self._json("POST", "/_fake/reset")

    async def set_faults(self, **knobs: Any) -> None:
        await self._json("POST", "/_fake/faults", json=knobs)

    async def messages(self) -> list[dict[str, Any]]:
        return list(await self._json("GET", "/_fake/messages"))


def accepted_at(message: dict[str, Any]) -> float:
    """When the fake accepted a message, as a POSIX timestamp."""
    return datetime.fromisoformat(str(message["accepted_at"])).timestamp()


@dataclass(frozen=True)
class Tally:
    """SMS counted at the fake against what was expected: every recipient exactly once."""

    expected: int
    accepted: int
    lost: int
    duplicated: int

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.accepted == self.expected

    def as_dict(self) -> dict[str, int]:
        return {
            "expected": self.expected,
            "accepted": self.accepted,
            "lost": self.lost,
            "duplicated": self.duplicated,
        }


def tally(messages: list[dict[str, Any]], expected: dict[str, int]) -> Tally:
    """Compare messages per recipient number with the expected count per number."""
    seen: dict[str, int] = {}
    for m in messages:
        seen[str(m["to"])] = seen.get(str(m["to"]), 0) + 1
    lost = sum(max(n - seen.get(to, 0), 0) for to, n in expected.items())
    duplicated = sum(max(n - expected.get(to, 0), 0) for to, n in seen.items())
    return Tally(sum(expected.values()), len(messages), lost, duplicated)


class LostOrDuplicated(AssertionError):
    """A scenario lost or duplicated an SMS: the benchmark fails loudly."""


def require(t: Tally, scenario: str) -> None:
    if not t.ok:
        raise LostOrDuplicated(
            f"{scenario}: expected {t.expected} SMS, the fake accepted {t.accepted}: "
            f"{t.lost} lost, {t.duplicated} duplicated"
        )


def sender_auth() -> aiohttp.BasicAuth:
    return aiohttp.BasicAuth(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
