"""Processes the integration tests start, kill with SIGKILL and restart, and how to start them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


class Proc:
    """A `python -m <module>` child whose output goes to a file (read it when a test fails)."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.module = module
        self.args = args
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                *self.args,
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def sigkill(self) -> int:
        """SIGKILL the child and reap it; returns its exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
        return await asyncio.wait_for(self.process.wait(), timeout=10)

    async def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout=timeout)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


async def stop_all(procs: list[Proc]) -> None:
    """Kill every child still running (the `finally` of a test)."""
    for proc in procs:
        if proc.alive:
            await proc.sigkill()
