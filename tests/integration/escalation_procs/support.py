"""The escalation service as a real process (`python -m services.escalation`), plus a roster for
the real clock and readers of what the service published."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shared import topics
from shared.events import Event, NotificationRequested, RosterPublished, Shift, parse_event
from tests.kafka_tools import read_topic

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class EscalationProcess:
    """One run of the service; `kill()` is SIGKILL, as a crashed host would do it."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def escalation_process(
    env: Mapping[str, str], log_dir: Path, name: str = "escalation", **settings: str
) -> Iterator[EscalationProcess]:
    """The service with `env` plus MTM_ESCALATION__<NAME> per setting; always stopped on exit."""
    full_env = {
        **env,
        "MTM_LOG__LEVEL": "INFO",
        **{f"MTM_ESCALATION__{key.upper()}": value for key, value in settings.items()},
    }
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.escalation"],
            env=full_env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield EscalationProcess(process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def roster_now(
    site_id: str,
    *,
    primary: str,
    backup: str | None,
    director: str | None,
    zone: str = "America/Chicago",
    **extra: Any,
) -> RosterPublished:
    """12-hour local shifts from yesterday to ten days ahead: someone is on call right now."""
    today = datetime.now(ZoneInfo(zone)).replace(
        tzinfo=None, hour=0, minute=0, second=0, microsecond=0
    )
    start = today - timedelta(days=1)
    shifts = []
    for i in range(22):
        a, b = start + timedelta(hours=12 * i), start + timedelta(hours=12 * (i + 1))
        shifts.append(
            Shift(
                start_local=f"{a:%Y-%m-%dT%H:%M}",
                end_local=f"{b:%Y-%m-%dT%H:%M}",
                primary_id=primary,
                backup_id=backup,
            )
        )
    return RosterPublished(
        site_id=site_id,
        roster_id=f"r-{site_id}",
        zone=zone,
        shifts=shifts,
        director_id=director,
        **extra,
    )


async def events(
    kafka: str,
    prefix: str,
    topic: str,
    until: Callable[[list[Event]], bool],
    *,
    timeout: float = 60,
) -> list[Event]:
    """The events of a topic (parsed, in partition order), read until `until(events)` holds."""

    def parsed(records: list[Any]) -> list[Event]:
        return [parse_event(topic, json.loads(r.value)) for r in records]

    records = await read_topic(
        kafka, prefix + topic, until=lambda rs: until(parsed(rs)), timeout=timeout
    )
    return parsed(records)


def pages(evs: list[Event], alert_code: str | None = None) -> list[NotificationRequested]:
    """The pages among events, in the order they were requested."""
    found = [
        e
        for e in evs
        if isinstance(e, NotificationRequested)
        and e.template_id == "clinician_page"
        and (alert_code is None or e.variables.get("code") == alert_code)
    ]
    return sorted(found, key=lambda p: (p.occurred_at, p.dedup_key))


async def urgent(
    kafka: str, prefix: str, until: Callable[[list[Event]], bool], *, timeout: float = 60
) -> list[Event]:
    return await events(kafka, prefix, topics.NOTIFY_URGENT, until, timeout=timeout)
