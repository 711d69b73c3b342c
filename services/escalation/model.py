"""The state of one alert as the escalation service keeps it (JSON in Redis, no PHI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.escalation.rules.policy import LadderPlan, Step, step_at
from services.escalation.rules.reach import PageOutcome, rungs_failed

Status = Literal["open", "acknowledged", "resolved", "queued", "digested"]
"""queued: a P2/P3 waiting for its site's digest; digested: reported in one."""


class Page(BaseModel):
    """One page sent for an alert."""

    step: int
    clinician_id: str
    notification_id: str
    role: str
    delivered: bool = False
    failed: bool = False
    permanent: bool = False
    """Failed for good (opted out, invalid or unknown number, a final carrier error)."""


class AlertState(BaseModel):
    """An alert: its code, its ladder snapshot, where it is on the ladder, who was paged."""

    model_config = ConfigDict(extra="ignore")

    alert_id: str
    patient_id: str
    site_id: str
    severity: str
    rule_id: str
    dedup_key: str
    correlation_id: str | None = None
    code: str | None = None
    status: Status = "open"
    raised_at: datetime
    count: int = 1
    plan: dict[str, object] = Field(default_factory=dict)
    base: int = 0
    """The step number at which the current ladder began (an upgrade starts a new one)."""
    step: int = -1
    """The last step fired (-1: none yet)."""
    next_step: int = 0
    next_due: datetime | None = None
    next_reason: str = "no_ack"
    pages: list[Page] = Field(default_factory=list)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolve_by: datetime | None = None
    """While acknowledged: when the outcome is due (the resolve-by timer); None: not required,
    or the reminders are used up."""
    reminders: int = 0
    """Unresolved reminders sent since the last acknowledgement."""
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    fallback_paged: bool = False
    """Every rung failed to deliver and the fallback roster was paged (once per alert)."""
    idle_rounds: int = 0
    """Steps that do not count against the ladder's repeat rounds: rounds that found nobody at
    all on call (they look again soon) and the fallback's step."""

    @property
    def ladder(self) -> LadderPlan:
        return LadderPlan.from_dict(dict(self.plan))

    def rung_of(self, step: int) -> int:
        """The ladder rung a step number stands for (an upgrade starts a new ladder)."""
        return step - self.base - self.idle_rounds

    def step_plan(self, step: int) -> Step | None:
        return step_at(self.ladder, self.rung_of(step))

    @property
    def paged_ids(self) -> list[str]:
        return list(dict.fromkeys(p.clinician_id for p in self.pages))

    @property
    def closed(self) -> bool:
        return self.status in ("resolved", "digested")

    def pages_of(self, step: int) -> list[Page]:
        return [p for p in self.pages if p.step == step]

    @property
    def rungs_failed(self) -> bool:
        """Every rung of the current ladder has fired and none of its pages got through."""
        return rungs_failed(
            [PageOutcome(p.step, p.delivered, p.failed) for p in self.pages],
            base=self.base,
            rungs=len(self.ladder.targets),
            fired_step=self.step,
        )
