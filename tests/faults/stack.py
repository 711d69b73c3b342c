"""The whole system as processes on a private Kafka and Redis: the six services, the fake Twilio,
and the levers a fault scenario pulls (SIGKILL a service, stop Kafka, restart Redis, Twilio
faults). Every process is started here and stopped here; `stop()` checks none is left."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID
from deploy.local.private_kafka import PrivateKafka, free_port
from shared.admin import delete_topics, ensure_topics, project_topics
from tests.kafka_tools import eventually

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "faults-auth-token-7d41"
SERVICES = ("gateway", "dispatcher", "reminders", "adherence", "symptoms", "escalation")


@dataclass
class Proc:
    """One child process (`python -m <module>`), its log, and how often it was started."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    exits: list[int] = field(default_factory=list)
    """Exit codes of the times it stopped on its own (the supervisor started it again)."""
    wanted: bool = False
    """Whether it should be running (the supervisor restarts it if it is not)."""

    def start(self) -> None:
        assert not self.alive(), f"{self.name} is already running"
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} at {time.time():.3f}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1
        self.wanted = True

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def sigkill(self) -> None:
        """Kill it the hard way: no shutdown hook runs, nothing is flushed or committed."""
        assert self.popen is not None and self.alive(), f"{self.name} is not running"
        self.wanted = False
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)
        self.kills += 1

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop in time."""
        self.wanted = False
        if self.popen is None or not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class StackConfig:
    """What differs between runs: per-service settings (MTM_* names) and logging."""

    env: dict[str, str] = field(default_factory=dict)
    log_level: str = "WARNING"
    fake_seed: int = 7


class Stack:
    """Kafka and Redis (private), the fake Twilio and the six services (or some) of one
    scenario."""

    def __init__(
        self,
        infra: PrivateKafka,
        workdir: Path,
        *,
        prefix: str,
        config: StackConfig,
        services: tuple[str, ...] = SERVICES,
    ) -> None:
        """`services`: which of the six to run (all by default; a scenario that needs only the
        paging path runs gateway, dispatcher and escalation)."""
        unknown = sorted(set(services) - set(SERVICES))
        assert not unknown, f"no such services: {unknown}"
        self.infra = infra
        self.workdir = workdir
        self.prefix = prefix
        self.namespace = prefix.rstrip(".")
        self.config = config
        workdir.mkdir(parents=True, exist_ok=True)
        fake_port, gateway_port = free_port(), free_port()
        self.fake_url = f"http://127.0.0.1:{fake_port}"
        self.gateway_url = f"http://127.0.0.1:{gateway_port}"
        self.fake = Proc(
            "fake-twilio",
            [
                sys.executable,
                "-m",
                "deploy.local.fake_twilio",
                "--port",
                str(fake_port),
                "--auth-token",
                TOKEN,
                "--seed",
                str(config.fake_seed),
                "--log-level",
                "WARNING",
            ],
            self._env({}),
            workdir / "fake-twilio.log",
        )
        service_env = {
            "MTM_GATEWAY__PORT": str(gateway_port),
            "MTM_GATEWAY__PUBLIC_BASE_URL": self.gateway_url,
            "MTM_DISPATCHER__STATUS_CALLBACK_URL": self.gateway_url + "/twilio/status",
            **config.env,
        }
        self.procs = {
            name: Proc(
                name,
                [sys.executable, "-m", f"services.{name}"],
                self._env(service_env),
                workdir / f"{name}.log",
            )
            for name in services
        }
        self.events: list[tuple[float, str]] = []
        """What the scenario did and when (monotonic seconds, description)."""
        self._supervisor: asyncio.Task[None] | None = None
        self.in_flight: list[tuple[float, list[str]]] = []
        """Per dispatcher kill: when (epoch s), and the sends it left unresolved (attempt on
        record, no SID recorded): the window in which Twilio may have sent without our knowing."""

    def _env(self, extra: Mapping[str, str]) -> dict[str, str]:
        # The test run's own Kafka and Redis addresses must never leak into a child.
        base = {k: v for k, v in os.environ.items() if not k.startswith("MTM_")}
        return {
            **base,
            "PYTHONPATH": str(ROOT),
            "MTM_ENV": "test",
            "MTM_KAFKA__BOOTSTRAP_SERVERS": self.infra.bootstrap,
            "MTM_KAFKA__TOPIC_PREFIX": self.prefix,
            "MTM_KAFKA__RETRY_BACKOFF_SECONDS": "0.1",
            "MTM_REDIS__URL": self.infra.redis_url,
            "MTM_REDIS__NAMESPACE": self.namespace,
            "MTM_TWILIO__ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
            "MTM_TWILIO__AUTH_TOKEN": TOKEN,
            "MTM_TWILIO__BASE_URL": self.fake_url,
            "MTM_LOG__LEVEL": self.config.log_level,
            **extra,
        }

    def note(self, what: str) -> None:
        self.events.append((time.monotonic(), what))

    # ------------------------------------------------------------------ life cycle

    async def start(self, *, later: tuple[str, ...] = ()) -> None:
        """Topics first, then the fake Twilio, the gateway, and the other services (except
        those named in `later`, which the caller starts with `restart`)."""
        await ensure_topics(self.infra.bootstrap, project_topics(self.prefix), partitions=3)
        self.fake.start()
        async with httpx.AsyncClient(base_url=self.fake_url, timeout=2) as client:

            async def fake_up() -> bool:
                assert self.fake.alive(), self.fake.tail()
                try:
                    return (await client.get("/_fake/faults")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(fake_up, timeout=30, message="fake Twilio answers")
        for proc in self.procs.values():
            if proc.name not in later:
                proc.start()
        self._supervisor = asyncio.create_task(self._supervise())
        if "gateway" in self.procs:
            await self.gateway_ready()
        self.note("stack started")

    async def _supervise(self) -> None:
        """What systemd's Restart=always or a Kubernetes restart policy does: a service that
        exits on its own is started again (after a second); every such exit is recorded."""
        while True:
            await asyncio.sleep(0.5)
            for proc in self.procs.values():
                if proc.wanted and proc.popen is not None and proc.popen.poll() is not None:
                    proc.exits.append(proc.popen.returncode)
                    self.note(f"{proc.name} exited on its own ({proc.popen.returncode})")
                    await asyncio.sleep(1)
                    proc.start()
                    self.note(f"supervisor started {proc.name} again")

    async def gateway_ready(self, timeout: float = 60) -> None:
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=2) as client:

            async def ready() -> bool:
                gateway = self.procs["gateway"]
                assert gateway.alive(), gateway.tail()
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=timeout, message="gateway /readyz answers 200")

    def crashed(self) -> list[str]:
        """Processes that should run and do not (exited on their own, not restarted yet)."""
        return [
            p.name
            for p in (*self.procs.values(), self.fake)
            if p.wanted and p.popen is not None and p.popen.poll() is not None
        ]

    async def stop(self) -> None:
        """Stop every process (SIGTERM, in parallel), then the fake; nothing may be left."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in self.procs.values()))
        await asyncio.to_thread(self.fake.stop)
        left = [p.name for p in (*self.procs.values(), self.fake) if p.alive()]
        assert not left, f"processes left behind: {left}"
        try:
            await delete_topics(self.infra.bootstrap, prefix=self.prefix)
        except Exception as exc:  # cleanup only: never hide the scenario's own result
            self.note(f"topic cleanup failed: {type(exc).__name__}")
        self.note("stack stopped")

    def pids(self) -> list[int]:
        return [p.popen.pid for p in (*self.procs.values(), self.fake) if p.popen is not None]

    # ------------------------------------------------------------------ faults

    async def sigkill(self, name: str) -> None:
        self.procs[name].sigkill()
        killed_at = time.time()
        self.note(f"SIGKILL {name}")
        if name == "dispatcher":
            pattern = f"{self.namespace}:dispatcher:attempt:*"
            redis = Redis.from_url(self.infra.redis_url)
            try:
                keys = [k.decode().rsplit(":", 1)[-1] async for k in redis.scan_iter(pattern)]
            finally:
                await redis.aclose()
            self.in_flight.append((killed_at, keys))
            self.note(f"{len(keys)} sends in flight at the kill")

    async def restart(self, name: str) -> None:
        """Start a service (again)."""
        self.procs[name].start()
        self.note(f"started {name}")
        if name == "gateway":
            await self.gateway_ready()

    async def kafka_outage(self, seconds: float) -> float:
        """Stop the broker, keep it down `seconds`, start it again; returns the real downtime."""
        await asyncio.to_thread(self.infra.stop_kafka)
        down = time.monotonic()
        self.note("Kafka stopped")
        await asyncio.sleep(seconds)
        self.note("Kafka starting")
        await asyncio.to_thread(self.infra.start)
        self.note("Kafka back (accepts produce)")
        return time.monotonic() - down

    async def redis_restart(self, *, crash: bool) -> None:
        await asyncio.to_thread(self.infra.restart_redis, crash=crash)
        self.note(f"redis-server {'SIGKILLed' if crash else 'stopped'} and started again")

    async def set_faults(self, **knobs: Any) -> None:
        async with httpx.AsyncClient(base_url=self.fake_url, timeout=10) as client:
            response = await client.post("/_fake/faults", content=json.dumps(knobs))
            response.raise_for_status()
        self.note(f"Twilio faults {sorted(knobs)}")

    async def messages(self) -> list[dict[str, Any]]:
        """Everything the fake Twilio accepted, in acceptance order."""
        async with httpx.AsyncClient(base_url=self.fake_url, timeout=30) as client:
            response = await client.get("/_fake/messages")
            response.raise_for_status()
            found: list[dict[str, Any]] = response.json()
            return found
