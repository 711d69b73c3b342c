"""The kinds of durable timer adherence arms, as typed payloads. Each is stored exactly as it
always was, so timers pending across a deploy still fire:

    DoseStep(dose_id, step)     dose|<dose id>|<step>   {}  (older ones: {kind: dose, dose, step})
    DataGap(patient_id)         datagap|<patient>       {kind: datagap, patient}
    Horizon, GapCheck,          <kind>|<plan>           {kind, plan}
    RefillDue, LapseCheck (plan_id)

`timers.schedule(*Horizon(plan_id).at(due))` arms one, `timers.cancel(kind.key)` drops it, and
`parse(timer)` reads a stored one back (None: a shape nobody writes); `steps.fire` runs it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from services.adherence.rules.model import STEPS
from shared.timers import Timer, TimerKind

Kind = TimerKind
"""What every adherence timer kind is (key, payload, `at(due)`)."""


@dataclass(frozen=True)
class DoseStep(Kind):
    """One step of a dose: reminder, followup, caregiver or cutoff."""

    dose_id: str
    step: str

    @property
    def key(self) -> str:
        return f"dose|{self.dose_id}|{self.step}"

    @property
    def payload(self) -> dict[str, Any]:
        """Empty: a payload repeating the key made every stored value longer than Redis's
        64-byte compact-encoding limit, about 250 instead of 125 bytes per pending timer."""
        return {}


@dataclass(frozen=True)
class DataGap(Kind):
    """ADH-DATA-GAP review of a patient, due when the last reply gets too old."""

    patient_id: str

    @property
    def key(self) -> str:
        return f"datagap|{self.patient_id}"

    @property
    def payload(self) -> dict[str, Any]:
        return {"kind": "datagap", "patient": self.patient_id}


@dataclass(frozen=True)
class PlanTimer(Kind):
    """A plan-level timer; its subclass names the kind."""

    kind: ClassVar[str]
    plan_id: str

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.plan_id}"

    @property
    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "plan": self.plan_id}


@dataclass(frozen=True)
class Horizon(PlanTimer):
    """Move the plan's dose horizon on."""

    kind: ClassVar[str] = "horizon"


@dataclass(frozen=True)
class GapCheck(PlanTimer):
    """Review the plan when a gap rule (no dose taken for so long) would fire."""

    kind: ClassVar[str] = "gap"


@dataclass(frozen=True)
class RefillDue(PlanTimer):
    """The refill reminder, `refill_lead_days` before the supply runs out."""

    kind: ClassVar[str] = "refill"


@dataclass(frozen=True)
class LapseCheck(PlanTimer):
    """Review the plan `refill_grace_days` after the supply ran out."""

    kind: ClassVar[str] = "lapse"


PLAN_TIMERS: tuple[type[PlanTimer], ...] = (Horizon, GapCheck, RefillDue, LapseCheck)


def dose_steps(dose_id: str) -> list[DoseStep]:
    """Every step timer a dose can have."""
    return [DoseStep(dose_id, step) for step in STEPS]


def parse(timer: Timer) -> Kind | None:
    """The kind of a stored timer; None for a shape nobody writes."""
    payload = timer.payload
    kind = payload.get("kind")
    if kind is None:
        if not timer.key.startswith("dose|"):
            return None
        dose_id, sep, step = timer.key[len("dose|") :].rpartition("|")
        return DoseStep(dose_id, step) if sep and dose_id and step in STEPS else None
    if kind == "dose":  # armed before dose timers went payload-free: the payload names them
        return DoseStep(payload["dose"], payload["step"])
    if kind == "datagap":
        return DataGap(payload["patient"])
    for plan_timer in PLAN_TIMERS:
        if kind == plan_timer.kind:
            return plan_timer(payload["plan"])
    return None
