"""Figures of the hostile runs, printed at the end of the test session (tests/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

LINES: list[str] = []


def add(title: str, **figures: Any) -> None:
    """Remember one run's figures for the session summary."""
    LINES.append(f"{title}: {json.dumps(figures, sort_keys=False)}")
