"""What the figures were measured on: machine, versions, and how busy it was meanwhile."""

from __future__ import annotations

import os
import platform
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, object]:
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb.isdigit() else None,
        "cpu": _first("/proc/cpuinfo", "model name"),
        "kernel": platform.release(),
    }


def versions(*, kafka: str, redis: str) -> dict[str, str]:
    found = {"python": platform.python_version(), "kafka": kafka, "redis": redis}
    for package in (
        "faststream",
        "aiokafka",
        "redis-py",
        "hiredis",
        "twilio",
        "pydantic",
        "uvloop",
    ):
        try:
            found[package] = version("redis" if package == "redis-py" else package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


class LoadSampler:
    """The 1-minute load average every few seconds while the benchmark runs."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(loadavg()[0])
            self._stop.wait(self.every)

    def start(self) -> LoadSampler:
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(timeout=self.every + 1)
        if not self.samples:
            return {}
        return {
            "mean": round(sum(self.samples) / len(self.samples), 2),
            "max": max(self.samples),
            "min": min(self.samples),
        }
