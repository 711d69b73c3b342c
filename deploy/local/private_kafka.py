"""A private, stoppable Kafka (and Redis) for tests that need to take infrastructure down.

The shared Kafka and Redis serve every engineer's tests at once and must never be stopped. A test
that needs an outage starts its own pair with the local launcher (deploy/local/infra.py) on free
ports and its own data directory:

    with PrivateKafka.launched(tmp_path) as private:
        ... use private.bootstrap (and private.redis_url) ...
        private.stop()      # Kafka and Redis down, data kept
        private.start()     # back on the same ports with the same data
        private.stop_kafka()                # only Kafka down (start() brings it back)
        private.restart_redis(crash=True)   # SIGKILL redis-server, start it again: AOF reloads
    # left: stopped and its data deleted

Start-up takes about ten seconds (the jars are cached under ~/.cache/mtm-notify).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "deploy" / "local" / "infra.py"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _alive(pidfile: Path) -> int | None:
    """The pid in the file if that process runs (a zombie does not count)."""
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    stat = Path(f"/proc/{pid}/stat")
    with suppress(OSError):
        if stat.read_text().split(") ")[-1].startswith("Z"):
            return None
    return pid


@dataclass
class PrivateKafka:
    """One single-node Kafka (KRaft) and one redis-server of a test's own, via the launcher."""

    directory: Path
    kafka_port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    heap: str = "-Xms128m -Xmx512m"
    timeout: float = 180

    def __post_init__(self) -> None:
        # Three OS-chosen ports are almost always distinct; make sure of it.
        while len({self.kafka_port, self.controller_port, self.redis_port}) < 3:
            self.controller_port, self.redis_port = free_port(), free_port()

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.redis_port}/0"

    def launcher_argv(self, command: str) -> list[str]:
        """The launcher command line (`up`, `down`, `reset`, ...)."""
        return [sys.executable, str(LAUNCHER), command]

    def _run(self, command: str) -> None:
        env = {
            **os.environ,
            "MTM_INFRA_DIR": str(self.directory),
            "MTM_LOCAL_KAFKA_PORT": str(self.kafka_port),
            "MTM_LOCAL_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "MTM_LOCAL_REDIS_PORT": str(self.redis_port),
            "MTM_LOCAL_KAFKA_HEAP": self.heap,
        }
        result = subprocess.run(
            self.launcher_argv(command),
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"private infra `{command}` failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )

    def start(self) -> None:
        """Start (or restart) Kafka and Redis and wait until Kafka accepts a produce."""
        self._run("up")

    def stop(self) -> None:
        """Stop both, keeping their data (a later start() brings the same cluster back)."""
        self._run("down")

    def restart(self) -> None:
        self.stop()
        self.start()

    def pids(self) -> dict[str, int]:
        """The live server processes by name ("kafka", "redis")."""
        found = {}
        for name in ("kafka", "redis"):
            pid = _alive(self.directory / name / f"{name}.pid")
            if pid is not None:
                found[name] = pid
        return found

    def stop_kafka(self) -> None:
        """Stop only the broker (SIGTERM: a controlled shutdown); start() brings it back."""
        self._signal("kafka", signal.SIGTERM, within=60)

    def restart_redis(self, *, crash: bool) -> None:
        """Stop redis-server (crash: SIGKILL, losing up to a second of AOF writes; else SIGTERM,
        which fsyncs the AOF) and start it again on the same port and directory, so it reloads
        the AOF; returns once it answers."""
        self._signal("redis", signal.SIGKILL if crash else signal.SIGTERM, within=30)
        self._run("up")

    def _signal(self, name: str, sig: signal.Signals, *, within: float) -> None:
        pidfile = self.directory / name / f"{name}.pid"
        pid = _alive(pidfile)
        if pid is None:
            raise RuntimeError(f"private {name} is not running")
        os.kill(pid, sig)
        deadline = time.monotonic() + within
        while _alive(pidfile) is not None:
            if time.monotonic() > deadline:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)

    def reset(self) -> None:
        """Stop both and delete their data."""
        self._run("reset")

    @classmethod
    @contextmanager
    def launched(cls, directory: Path) -> Iterator[PrivateKafka]:
        """Started on entry; stopped and wiped on exit, whatever happened inside."""
        private = cls(directory)
        try:
            private.start()
            yield private
        finally:
            with suppress(Exception):
                private.reset()
