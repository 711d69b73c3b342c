"""The unreachable on-call table: printed after the fault suite's own, written next to it
(.infra/faults-oncall-report.md and .json, with the machine and the date)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.faults.oncall.run import PER_CLINICIAN_PER_HOUR, SIM_HOURS, TIME_SCALE, Result
from tests.faults.report import REPORT_DIR, machine

COLUMNS = (
    ("case", "case"),
    ("site", "site"),
    ("pages", "pages requested"),
    ("sms", "SMS accepted (site+fallback)"),
    ("bound", "bound"),
    ("fallback", "fallback's 1st SMS (s)"),
    ("limit", "limit (s)"),
    ("backup", "backup's 1st SMS (s)"),
    ("warnings", "no_reachable_on_call"),
    ("rounds", "steps after rungs"),
    ("gap", "min round gap (s)"),
    ("exhausted", "ladder_exhausted"),
    ("capped", "page_cap_reached"),
    ("last", "last page (s)"),
)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def rows(result: Result) -> list[dict[str, str]]:
    return [
        {
            "case": f.case,
            "site": f.site,
            "pages": str(f.pages),
            "sms": f"{f.sms} ({f.sms_site}+{f.sms_fallback})",
            "bound": str(f.bound),
            "fallback": _s(f.fallback_after),
            "limit": _s(f.limit),
            "backup": _s(f.backup_after),
            "warnings": str(f.no_reachable),
            "rounds": str(f.rounds),
            "gap": _s(f.min_gap),
            "exhausted": str(f.exhausted),
            "capped": str(f.capped),
            "last": _s(f.last_page_after),
        }
        for f in result.figures
    ]


def markdown(result: Result) -> str:
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(r[key] for key, _ in COLUMNS) + " |" for r in rows(result)]
    return "\n".join(lines)


def plain(result: Result) -> list[str]:
    """The table for a terminal: aligned columns."""
    table = [[title for _, title in COLUMNS]] + [
        [r[key] for key, _ in COLUMNS] for r in rows(result)
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    return ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in table]


def summary(result: Result) -> str:
    return (
        f"TIME_SCALE {TIME_SCALE} (rung 2.7 s, repeat 0.9 s), {SIM_HOURS:.0f} simulated hours = "
        f"{result.simulated_seconds:.0f} s; per-clinician cap {PER_CLINICIAN_PER_HOUR}/h; "
        f"wall time {result.seconds:.0f} s; service exits {result.exits}, dead letters "
        f"{result.dead_letters}, consumer lag at the end {result.lag}"
    )


def write(result: Result, scale: str) -> Path:
    """Write the report files; returns the markdown path."""
    REPORT_DIR.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    info = machine()
    data = {
        "date": now.isoformat(timespec="seconds"),
        "scale": scale,
        "machine": info,
        **result.as_dict(),
    }
    (REPORT_DIR / "faults-oncall-report.json").write_text(json.dumps(data, indent=1))
    notes = [f"- `{f.case}`: {f.title}." for f in result.figures]
    text = "\n".join(
        [
            f"# Fault suite: unreachable on-call ({scale})",
            "",
            f"{now:%Y-%m-%d %H:%M} UTC, {info['cpus']} CPUs ({info['cpu']}), {info['memory']}, "
            f"Python {info['python']}, commit {info['commit']}.",
            "",
            summary(result) + ".",
            "",
            markdown(result),
            "",
            *notes,
            *(f"- {note}" for note in result.notes),
            "",
        ]
    )
    path = REPORT_DIR / "faults-oncall-report.md"
    path.write_text(text)
    return path
