"""Figures tests print at the end of the session (tests/conftest.py): hostile runs, the phrase
tables' recall and precision."""

from __future__ import annotations

import json
from typing import Any

LINES: list[str] = []


def add(title: str, **figures: Any) -> None:
    """Remember one run's figures for the session summary."""
    LINES.append(f"{title}: {json.dumps(figures, sort_keys=False)}")


def record(line: str) -> None:
    """Keep one line for the session summary (once, however often a test records it)."""
    if line not in LINES:
        LINES.append(line)
