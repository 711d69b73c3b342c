"""Liveness and readiness of a service without an HTTP port: a heartbeat file.

While a FastStream service runs, the runtime rewrites the file every `MTM_HEALTH__INTERVAL_SECONDS`
with the time and whether Kafka and Redis answered (`Heartbeat`). An exec probe reads it:

    python -m shared.health            # live: the file was rewritten recently
    python -m shared.health --ready    # ready: that, and Kafka and Redis answered the last check

The probe takes the path from MTM_HEALTH__FILE (exec probes run with the container's
environment) or from --file. It imports the standard library only, so it starts in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

ENV_FILE = "MTM_HEALTH__FILE"

log = logging.getLogger("mtm.health")

Check = Callable[[], Awaitable[object]]


class Heartbeat:
    """Rewrites the health file every interval: a timestamp, and whether every check passed."""

    def __init__(
        self,
        path: str | Path,
        *,
        service: str,
        checks: Mapping[str, Check],
        interval: float,
        timeout: float = 3.0,
    ) -> None:
        self.path = Path(path)
        self.service = service
        self.checks = dict(checks)
        self.interval = interval
        self.timeout = timeout
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._write_failed = False

    @property
    def stale_after(self) -> float:
        """A file older than this means the loop has stopped turning (three missed beats)."""
        return 3 * (self.interval + self.timeout * len(self.checks))

    async def beat(self) -> dict[str, Any]:
        """Run the checks once and rewrite the file atomically."""
        results: dict[str, bool] = {}
        for name, check in self.checks.items():
            try:
                results[name] = bool(await asyncio.wait_for(check(), self.timeout))
            except Exception:  # any failure (timeout, connection refused) means "not ready"
                results[name] = False
        state = {
            "service": self.service,
            "pid": os.getpid(),
            "at": time.time(),
            "stale_after": self.stale_after,
            "ready": all(results.values()),
            "checks": results,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)
        return state

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.beat()
                self._write_failed = False
            except OSError as exc:
                if not self._write_failed:  # once per outage, not every beat
                    log.warning(
                        "health file not written", extra={"error_class": type(exc).__name__}
                    )
                self._write_failed = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
        # A stopped service is neither live nor ready.
        self.path.unlink(missing_ok=True)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self.run(), name=f"{self.service}-heartbeat")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None


def probe(path: Path, *, ready: bool, max_age: float | None = None) -> tuple[bool, str]:
    """Whether the file shows a live (and, with `ready`, ready) service, and why not."""
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return False, f"{path}: no heartbeat yet (starting, or stopped)"
    except (OSError, ValueError) as exc:
        return False, f"{path}: unreadable ({type(exc).__name__})"
    age = time.time() - float(state.get("at", 0))
    limit = max_age if max_age is not None else float(state.get("stale_after", 30))
    if age > limit:
        return False, f"{state.get('service')}: last heartbeat {age:.0f}s ago (limit {limit:.0f}s)"
    if ready and not state.get("ready"):
        failing = sorted(k for k, ok in state.get("checks", {}).items() if not ok)
        return False, f"{state.get('service')}: not ready ({', '.join(failing) or 'starting'})"
    return True, f"{state.get('service')}: {'ready' if ready else 'live'} ({age:.1f}s ago)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.health", description=__doc__)
    parser.add_argument("--file", help=f"heartbeat file (default: ${ENV_FILE})")
    parser.add_argument("--ready", action="store_true", help="also require Kafka and Redis")
    parser.add_argument("--max-age", type=float, help="seconds (default: from the file)")
    args = parser.parse_args(argv)
    path = args.file or os.environ.get(ENV_FILE)
    if not path:
        sys.stderr.write(f"no heartbeat file: set {ENV_FILE} or pass --file\n")
        return 2
    ok, reason = probe(Path(path), ready=args.ready, max_age=args.max_age)
    (sys.stdout if ok else sys.stderr).write(reason + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
