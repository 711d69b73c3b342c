"""The fault suite's table: printed at the end of the run, written to .infra/faults-report.md
and .infra/faults-report.json with the machine and the date."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.faults.scenarios import Outcome

ROOT = Path(__file__).resolve().parents[2]
REPORT_DIR = ROOT / ".infra"

COLUMNS = (
    ("scenario", "scenario"),
    ("expected", "SMS expected"),
    ("delivered", "delivered"),
    ("lost", "lost"),
    ("duplicated", "duplicated"),
    ("alerts", "P0 alerts raised"),
    ("acked", "acked"),
    ("last", "at last step"),
    ("replies", "replies applied"),
    ("statuses", "final status missing"),
    ("dlq", "dead letters"),
    ("exits", "service exits"),
    ("window", "killed mid-send (at Twilio)"),
    ("seconds", "s"),
)


def row(o: Outcome) -> dict[str, str]:
    t = o.tally
    return {
        "scenario": o.scenario.name,
        "expected": str(t.expected),
        "delivered": str(t.delivered),
        "lost": str(t.lost),
        "duplicated": str(t.duplicated),
        "alerts": f"{t.alerts_raised}/{t.alerts_expected}",
        "acked": f"{t.acked}/{t.acked_expected}",
        "last": f"{t.at_last_step}/{t.last_step_expected}",
        "replies": f"{t.replies_applied}/{t.replies_sent}",
        "statuses": str(t.statuses_missing),
        "dlq": str(t.dead_letters),
        "exits": str(t.exits),
        "window": f"{t.in_flight_at_kill} ({t.accepted_unrecorded})",
        "seconds": f"{o.seconds:.0f}",
    }


def markdown(outcomes: list[Outcome]) -> str:
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    lines = [head, rule]
    for o in outcomes:
        r = row(o)
        lines.append("| " + " | ".join(r[key] for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def plain(outcomes: list[Outcome]) -> list[str]:
    """The table for a terminal: aligned columns."""
    rows = [[title for _, title in COLUMNS]] + [
        [row(o)[key] for key, _ in COLUMNS] for o in outcomes
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]


def machine() -> dict[str, Any]:
    cpu = ""
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "commit": commit,
    }


def write(outcomes: list[Outcome], scale: str) -> Path:
    """Write the report files; returns the markdown path."""
    REPORT_DIR.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    info = machine()
    data = {
        "date": now.isoformat(timespec="seconds"),
        "scale": scale,
        "machine": info,
        "scenarios": [o.as_dict() for o in outcomes],
    }
    (REPORT_DIR / "faults-report.json").write_text(json.dumps(data, indent=1))
    notes = []
    for o in outcomes:
        t = o.tally
        extra = [*t.notes]
        if t.lost_keys:
            extra.append(f"lost: {', '.join(t.lost_keys[:10])}")
        if t.duplicated_keys:
            extra.append(f"sent twice: {', '.join(t.duplicated_keys[:10])}")
        if t.orphans:
            extra.append(f"{t.orphans} SMS not traced to a request: {t.orphan_details[:5]}")
        if t.lost_details:
            extra.append(f"lost, per the topics: {t.lost_details[:5]}")
        if t.replies_refused:
            extra.append(f"{t.replies_refused} reply posts refused by the gateway and re-posted")
        notes.append(f"- `{o.scenario.name}`: {o.scenario.title}. " + "; ".join(extra))
    text = "\n".join(
        [
            f"# Fault suite report ({scale})",
            "",
            f"{now:%Y-%m-%d %H:%M} UTC, {info['cpus']} CPUs ({info['cpu']}), {info['memory']}, "
            f"Python {info['python']}, commit {info['commit']}.",
            "",
            markdown(outcomes),
            "",
            *notes,
            "",
        ]
    )
    path = REPORT_DIR / "faults-report.md"
    path.write_text(text)
    return path
