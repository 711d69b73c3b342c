"""Settings of the escalation service: the shared sections plus `escalation` (MTM_ESCALATION__*)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, model_validator

from services.escalation.rules.policy import LadderPlan
from shared.events.base import LocalTime
from shared.settings import BaseServiceSettings
from shared.sites import SiteSection

Target = Literal["primary", "backup", "director"]
TARGETS: tuple[Target, ...] = ("primary", "backup", "director")


Mode = Annotated[Literal["page", "digest"], Field(description="page: the ladder; digest: daily.")]
Targets = Annotated[
    list[Target], Field(min_length=1, max_length=10, description="Who is paged, in order.")
]
Delays = Annotated[
    list[float],
    Field(description="Wait before each target's page, counted from the previous page."),
]
RepeatEvery = Annotated[
    float | None,
    Field(gt=0, description="After the last target, re-page everyone paged so far."),
]
MaxRepeats = Annotated[
    int | None,
    Field(
        ge=0,
        description="Repeat rounds at most; after the last, OperationalWarning(ladder_exhausted) "
        "and the alert stays open for the console (None: until acknowledged, unbounded).",
    ),
]
ResolveWithin = Annotated[
    float | None,
    Field(
        gt=0,
        description="Acknowledged is not resolved (ESC-UNRESOLVED): how long an acknowledged "
        "alert may wait for the clinician's outcome (RESOLVE <code>); then the acknowledger is "
        "reminded and the next rung above them paged, again at this interval. None: no outcome "
        "required (P2/P3).",
    ),
]
MaxReminders = Annotated[
    int | None,
    Field(
        ge=1,
        description="Unresolved reminders at most per acknowledgement; the last one also raises "
        "OperationalWarning(alert_unresolved) and no more follow (None: until resolved).",
    ),
]


class Ladder(BaseModel):
    """One severity's escalation: page targets in order with waits, then repeats; or a digest.

    The defaults are P0's (ESC-LADDER): primary at once, backup at +15 min, director at
    +30, re-page every 5 min; ESC-UNRESOLVED: an outcome within 60 min of the ACK, else re-escalate
    (hourly, 3 times). Re-paging every 5 min for 3 h after the director (36 rounds) bounds what
    one alert can send whatever happens below it. Each other severity is a subclass with its own
    defaults, so that overriding one field keeps that severity's other defaults."""

    mode: Mode = "page"
    targets: Targets = Field(default_factory=lambda: list(TARGETS))
    delays_seconds: Delays = Field(default_factory=lambda: [0.0, 900.0, 900.0])
    repeat_every_seconds: RepeatEvery = 300.0
    max_repeats: MaxRepeats = 36
    resolve_within_seconds: ResolveWithin = 3600.0
    max_reminders: MaxReminders = 3

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.mode == "page" and len(self.delays_seconds) != len(self.targets):
            raise ValueError("delays_seconds needs one delay per target")
        if any(d < 0 for d in self.delays_seconds):
            raise ValueError("delays must not be negative")
        return self

    def plan(self, time_scale: float = 1.0) -> LadderPlan:
        """This ladder as the plan a new alert freezes, every wait scaled by `time_scale`."""
        return LadderPlan(
            mode=self.mode,
            targets=tuple(self.targets),
            delays=tuple(self.delays_seconds),
            repeat_every=self.repeat_every_seconds,
            max_repeats=self.max_repeats,
            resolve_within=self.resolve_within_seconds,
            max_reminders=self.max_reminders,
        ).scaled(time_scale)


class P1Ladder(Ladder):
    """P1 (ESC-LADDER, ESC-UNRESOLVED): ack within 60 min, else the backup; the director an hour
    after that; patient contact the same day (<= 4 h in business hours): an outcome within 4 h of
    the ACK."""

    delays_seconds: Delays = Field(default_factory=lambda: [0.0, 3600.0, 3600.0])
    repeat_every_seconds: RepeatEvery = 1800.0
    max_repeats: MaxRepeats = 12
    resolve_within_seconds: ResolveWithin = 4 * 3600.0
    max_reminders: MaxReminders = 2


class DigestLadder(Ladder):
    """P2 and P3: the site's daily digest, no outcome required."""

    mode: Mode = "digest"
    resolve_within_seconds: ResolveWithin = None


class Ladders(BaseModel):
    """The ladder of each severity (ESC-LADDER defaults; every time is configurable)."""

    P0: Ladder = Field(default_factory=Ladder)
    P1: P1Ladder = Field(default_factory=P1Ladder)
    P2: DigestLadder = Field(default_factory=DigestLadder)
    P3: DigestLadder = Field(default_factory=DigestLadder)


class EscalationSection(SiteSection):
    """Ladders, digest time and the knobs of the timers (the sites: MTM_SITES)."""

    ladders: Ladders = Field(default_factory=Ladders)
    time_scale: float = Field(
        default=1.0, gt=0, le=1, description="Multiplies every ladder wait (tests and demos)."
    )
    dedupe_window_seconds: int = Field(
        default=24 * 3600,
        ge=0,
        description="ESC-DEDUPE: a repeat joins an acknowledged alert only this long after it "
        "was raised (an alert still paging takes repeats whatever its age).",
    )
    nobody_retry_seconds: float = Field(
        default=30, gt=0, description="With nobody at all to page, look again this often."
    )
    digest_time: LocalTime = Field(default="08:00", description="Local time of the daily digest.")
    network_site: str = Field(
        default="network",
        description="Site id of the network-wide on-call roster (or publish one with "
        "network_fallback=true).",
    )
    gap_horizon_days: int = Field(default=7, ge=1, le=60, description="Roster gaps reported ahead.")
    fallback_site: str | None = Field(
        default=None,
        description="Roster paged when every rung of a site's ladder failed to deliver (opted "
        "out, invalid, unreachable): another site's on-call, or an ops/crisis-line roster. "
        "None: the network-wide on-call (NETWORK_SITE).",
    )
    max_pages_per_alert_per_hour: int = Field(
        default=90,
        ge=1,
        description="Pages of one alert in one clock hour at most (a P0 re-paging five people "
        "every 5 minutes requests 60).",
    )
    max_pages_per_clinician_per_hour: int = Field(
        default=30,
        ge=1,
        description="Pages to one clinician in one clock hour at most, all alerts.",
    )
    reach_check_time: LocalTime = Field(
        default="09:00",
        description="Local time of the daily check that the next 24 h of each site's on-call can "
        "be paged (registered, not unreachable); also run when a roster or clinician changes.",
    )
    reach_check_hours: int = Field(default=24, ge=1, le=168, description="How far it looks.")
    timer_lease_seconds: float = Field(default=30, gt=0, description="A dead worker's step waits.")
    step_claim_seconds: float = Field(default=15, gt=0, description="Lease of a step's claim.")
    timer_poll_seconds: float = Field(default=0.05, gt=0)
    relay_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often unpublished outbox entries are retried."
    )
    reconcile_interval_seconds: float = Field(
        default=60, gt=0, description="How often open alerts are checked for a pending timer."
    )
    code_quarantine_seconds: int = Field(
        default=72 * 3600, ge=0, description="A closed alert's code is not reused for this long."
    )
    closed_retention_seconds: int = Field(
        default=30 * 24 * 3600, ge=3600, description="A closed alert's state is kept this long."
    )

    @model_validator(mode="after")
    def _claim_within_lease(self) -> Self:
        # A step re-fired after its worker died must find the dead worker's claim lapsed.
        if self.step_claim_seconds > self.timer_lease_seconds:
            raise ValueError("step_claim_seconds must not exceed timer_lease_seconds")
        return self

    def site_name(self, site_id: str) -> str:
        site = self.sites.get(site_id)
        return (site.name if site else None) or site_id[:24]


class EscalationSettings(BaseServiceSettings):
    """Everything the escalation process reads from its environment."""

    escalation: EscalationSection = Field(default_factory=EscalationSection)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.escalation.time_scale != 1.0:
            problems.append("MTM_ESCALATION__TIME_SCALE other than 1")
        return problems
