"""Escalation policy: the steps of a severity's ladder, their waits, whom each step pages, and
when an acknowledged alert that nobody resolved is re-escalated (ESC-UNRESOLVED)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.escalation.rules.roster import Roster, on_call

Mode = Literal["page", "digest"]
SEVERITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True)
class LadderPlan:
    """A ladder frozen for one alert (a later settings change does not move an open alert)."""

    mode: Mode
    targets: tuple[str, ...] = ()
    delays: tuple[float, ...] = ()
    repeat_every: float | None = None
    max_repeats: int | None = None
    resolve_within: float | None = None
    """Seconds an acknowledged alert may stay unresolved (None: no outcome is required)."""
    max_reminders: int | None = None
    """Unresolved reminders at most per acknowledgement (None: until resolved)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "targets": list(self.targets),
            "delays": list(self.delays),
            "repeat_every": self.repeat_every,
            "max_repeats": self.max_repeats,
            "resolve_within": self.resolve_within,
            "max_reminders": self.max_reminders,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LadderPlan:
        return cls(
            mode=data["mode"],
            targets=tuple(data["targets"]),
            delays=tuple(float(d) for d in data["delays"]),
            repeat_every=data.get("repeat_every"),
            max_repeats=data.get("max_repeats"),
            resolve_within=data.get("resolve_within"),
            max_reminders=data.get("max_reminders"),
        )

    def scaled(self, factor: float) -> LadderPlan:
        """Every wait multiplied by `factor` (tests and demos run a ladder in seconds)."""
        return LadderPlan(
            mode=self.mode,
            targets=self.targets,
            delays=tuple(d * factor for d in self.delays),
            repeat_every=self.repeat_every * factor if self.repeat_every else None,
            max_repeats=self.max_repeats,
            resolve_within=self.resolve_within * factor if self.resolve_within else None,
            max_reminders=self.max_reminders,
        )


@dataclass(frozen=True)
class Step:
    """One rung of a ladder: a target's page, or a repeat round re-paging everyone paged."""

    rung: int
    target: str | None
    repeat: int = 0

    @property
    def is_repeat(self) -> bool:
        return self.repeat > 0


def rank(severity: str) -> int:
    """0 is the most urgent (P0)."""
    return SEVERITIES.index(severity)


def step_at(plan: LadderPlan, rung: int) -> Step | None:
    """The step at `rung` of the ladder, or None once the ladder is exhausted."""
    if plan.mode != "page" or rung < 0:
        return None
    if rung < len(plan.targets):
        return Step(rung, plan.targets[rung])
    if plan.repeat_every is None:
        return None
    repeat = rung - len(plan.targets) + 1
    if plan.max_repeats is not None and repeat > plan.max_repeats:
        return None
    return Step(rung, None, repeat)


def wait_before(plan: LadderPlan, rung: int) -> float | None:
    """Seconds between the previous step's page and this rung's, or None if there is no rung."""
    step = step_at(plan, rung)
    if step is None:
        return None
    return plan.delays[rung] if not step.is_repeat else float(plan.repeat_every or 0)


@dataclass(frozen=True)
class Resolved:
    """Whom a step pages, and how they were found."""

    clinician_id: str | None
    role: str
    network_fallback: bool = False


def resolve(target: str, *, site: Roster | None, network: Roster | None, at: datetime) -> Resolved:
    """The clinician for a ladder target at `at`.

    When the site has nobody on call the network-wide on-call stands in for the whole site
    roster; a missing backup is the network's primary; a missing director the network's."""
    here = on_call(site, at)
    there = on_call(network, at)
    if target == "primary":
        if here is not None:
            return Resolved(here.primary_id, "primary")
        if there is not None:
            return Resolved(there.primary_id, "network_primary", network_fallback=True)
        return Resolved(None, "primary", network_fallback=True)
    if target == "backup":
        if here is not None and here.backup_id:
            return Resolved(here.backup_id, "backup")
        if here is None and there is not None and there.backup_id:
            return Resolved(there.backup_id, "network_backup", network_fallback=True)
        if there is not None:
            return Resolved(there.primary_id, "network_primary", network_fallback=True)
        return Resolved(None, "backup", network_fallback=True)
    if site is not None and site.director_id:
        return Resolved(site.director_id, "director")
    if network is not None and network.director_id:
        return Resolved(network.director_id, "network_director", network_fallback=True)
    return Resolved(None, "director", network_fallback=True)


def repeat_targets(paged: Sequence[str]) -> list[str]:
    """Everyone paged so far, once each, in the order they were first paged."""
    return list(dict.fromkeys(paged))


# Acknowledged is not resolved (ESC-UNRESOLVED): the acknowledger must record an outcome
# (RESOLVE <code>) within the ladder's `resolve_within`; if not, they are reminded and the next
# rung above them is paged, again every `resolve_within`, at most `max_reminders` times.


def unresolved_wait(plan: LadderPlan, reminders: int) -> float | None:
    """Seconds until the next resolve-by check, `reminders` reminders after the acknowledgement
    (0: at the acknowledgement itself); None when no outcome is required or the reminders are
    used up."""
    if plan.resolve_within is None:
        return None
    if plan.max_reminders is not None and reminders >= plan.max_reminders:
        return None
    return plan.resolve_within


def unresolved_due(*, status: str, resolve_by: datetime | None, now: datetime) -> bool:
    """Whether a resolve-by check finds work: still acknowledged, and its deadline has come (a
    later deadline means the alert was acknowledged again since the timer was set)."""
    return status == "acknowledged" and resolve_by is not None and resolve_by <= now


def acknowledger_rung(targets: Sequence[str], roles: Iterable[str]) -> int:
    """The highest rung the acknowledger was paged for in their own right (a network stand-in
    counts as its target); the top rung if only repeat rounds reached them."""
    rungs = [
        targets.index(role.removeprefix("network_"))
        for role in roles
        if role.removeprefix("network_") in targets
    ]
    return max(rungs) if rungs else len(targets) - 1


def unresolved_target(targets: Sequence[str], acknowledger: int, reminder: int) -> str:
    """The ladder target paged at an acknowledged alert's `reminder`-th unresolved reminder
    (1-based): the rung that many above the acknowledger's, the top rung once past it."""
    return targets[min(acknowledger + reminder, len(targets) - 1)]
