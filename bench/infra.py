"""Kafka and Redis for the benchmark: a private pair by default, or the shared one on request.

BENCH_INFRA=private (default): a Kafka and a redis-server of the benchmark's own, started with the
project's launcher (deploy/local/infra.py) on free ports and a temporary data directory, and
deleted afterwards, so colleagues' tests on the shared pair are neither disturbed nor disturbing.
BENCH_INFRA=shared: the addresses in MTM_KAFKA__BOOTSTRAP_SERVERS / MTM_REDIS__URL, else
`.infra/env` (`make infra-up`), else the launcher (deploy/local/find_infra.py decides).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.launcher import extra_properties
from deploy.local.find_infra import acquire
from deploy.local.private_kafka import PrivateKafka

ROOT = Path(__file__).resolve().parents[1]
# The launcher's own default heap (deploy/local/infra.py), so the private broker is the one
# `make infra-up` runs.
KAFKA_HEAP = "-Xms256m -Xmx768m"


@dataclass
class BenchInfra:
    kafka: str
    redis_url: str
    origin: str
    kafka_version: str
    kafka_pid: int | None
    redis_pid: int | None
    stop: Callable[[], None] = field(default=lambda: None)


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_listening(port: int) -> int | None:
    """The pid that listens on a loopback port (for CPU figures of a shared server)."""
    if shutil.which("ss") is None:
        return None
    out = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"pid=(\d+)", out)
    return int(match.group(1)) if match else None


def kafka_version() -> str:
    pom = (ROOT / "deploy" / "local" / "kafka" / "pom.xml").read_text()
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    return match.group(1) if match else "unknown"


class BenchKafka(PrivateKafka):
    """PrivateKafka through bench/launcher.py, which adds BENCH_KAFKA_PROPERTIES."""

    def launcher_argv(self, command: str) -> list[str]:
        return [sys.executable, "-m", "bench.launcher", command]


def acquire_bench_infra() -> BenchInfra:
    """Start (or find) the Kafka and Redis the benchmark runs against."""
    mode = os.environ.get("BENCH_INFRA", "private")
    if mode == "shared":
        infra = acquire()
        port = int(infra.kafka.rsplit(":", 1)[1])
        redis_port = int(infra.redis_url.rsplit(":", 1)[1].split("/")[0])
        return BenchInfra(
            kafka=infra.kafka,
            redis_url=infra.redis_url,
            origin=f"shared ({infra.origin})",
            kafka_version=infra.kafka_version
            if infra.kafka_version != "unknown"
            else kafka_version(),
            kafka_pid=_pid_listening(port),
            redis_pid=_pid_listening(redis_port),
            stop=infra.stop,
        )
    if mode != "private":
        raise SystemExit(f"BENCH_INFRA must be 'private' or 'shared', not {mode!r}")
    directory = Path(tempfile.mkdtemp(prefix="mtm-bench-"))
    private = BenchKafka(directory, heap=KAFKA_HEAP)
    try:
        private.start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise

    def stop() -> None:
        try:
            private.reset()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    origin = "private (deploy/local/infra.py on free ports, deleted afterwards)"
    if extra_properties():
        origin += "; extra broker properties: " + ", ".join(extra_properties())
    return BenchInfra(
        kafka=private.bootstrap,
        redis_url=private.redis_url,
        origin=origin,
        kafka_version=kafka_version(),
        kafka_pid=_pid(directory / "kafka" / "kafka.pid"),
        redis_pid=_pid(directory / "redis" / "redis.pid"),
        stop=stop,
    )
