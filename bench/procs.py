"""Service processes for the scenarios, and CPU time per process from /proc/<pid>/stat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds a process (all its threads) has used so far."""
    if pid is None:
        return None
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class CpuMeter:
    """CPU seconds of named processes between start() and stop()."""

    pids: dict[str, int | None]
    _start: dict[str, float | None] = field(default_factory=dict)
    _began: float = 0.0
    used: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    def start(self) -> CpuMeter:
        self._began = time.monotonic()
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        self.wall = time.monotonic() - self._began
        for name, pid in self.pids.items():
            before, after = self._start.get(name), cpu_seconds(pid)
            if before is not None and after is not None:
                self.used[name] = after - before
        return self.used

    def cores(self) -> dict[str, float]:
        """Average cores busy per process over the window (1.0 = one core all the time)."""
        return {name: s / self.wall for name, s in self.used.items()} if self.wall else {}


@dataclass
class ServiceProc:
    """`python -m <module>` with the given environment; output to a log file."""

    name: str
    module: str
    env: Mapping[str, str]
    log: Path
    args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, *self.args],
                env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check(self) -> None:
        """Fail loudly if the process died."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}; its log ends with:\n"
                + self.tail()
            )

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
