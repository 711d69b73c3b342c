"""Whether a clinician's ACK or RESOLVE may act on an alert: only someone paged for it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    """ok, takeover, not_paged, not_open, already_acknowledged, duplicate."""


def may_acknowledge(
    *,
    status: str,
    paged: Collection[str],
    clinician_id: str,
    acknowledged_by: str | None,
    reminders: int = 0,
) -> Verdict:
    """An ACK counts only from a clinician paged for this alert, while it is open; or, once
    an acknowledged alert went unresolved and was escalated again (`reminders` > 0), from
    another clinician paged for it, who takes it over."""
    if clinician_id not in paged:
        return Verdict(False, "not_paged")
    if status == ACKNOWLEDGED:
        if acknowledged_by == clinician_id:
            return Verdict(False, "duplicate")
        if reminders > 0:
            return Verdict(True, "takeover")
        return Verdict(False, "already_acknowledged")
    if status != OPEN:
        return Verdict(False, "not_open")
    return Verdict(True, "ok")


def may_resolve(*, status: str, paged: Collection[str], clinician_id: str) -> Verdict:
    """A RESOLVE counts only from a clinician paged for this alert, until it is resolved."""
    if clinician_id not in paged:
        return Verdict(False, "not_paged")
    if status == RESOLVED:
        return Verdict(False, "duplicate")
    if status not in (OPEN, ACKNOWLEDGED):
        return Verdict(False, "not_open")
    return Verdict(True, "ok")
