"""Settings of the escalation service: the shared sections plus `escalation` (MTM_ESCALATION__*)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from shared.events.base import LocalTime, Zone
from shared.settings import BaseServiceSettings

Target = Literal["primary", "backup", "director"]
TARGETS: tuple[Target, ...] = ("primary", "backup", "director")


class SiteConfig(BaseModel):
    """A clinic site as the escalation service knows it."""

    zone: Zone = Field(description="The site's IANA zone (digest time, roster display).")
    name: str = Field(min_length=2, max_length=24, description="Short, neutral name in pages.")


class Ladder(BaseModel):
    """One severity's escalation: page targets in order with waits, then repeats; or a digest."""

    mode: Literal["page", "digest"] = "page"
    targets: list[Target] = Field(
        default_factory=lambda: list(TARGETS), min_length=1, max_length=10
    )
    delays_seconds: list[float] = Field(
        default_factory=lambda: [0.0, 900.0, 900.0],
        description="Wait before each target's page, counted from the previous page.",
    )
    repeat_every_seconds: float | None = Field(
        default=300.0, gt=0, description="After the last target, re-page everyone paged so far."
    )
    max_repeats: int | None = Field(
        default=36,
        ge=0,
        description="Repeat rounds at most; after the last, OperationalWarning(ladder_exhausted) "
        "and the alert stays open for the console (None: until acknowledged, unbounded).",
    )
    resolve_within_seconds: float | None = Field(
        default=3600,
        gt=0,
        description="Acknowledged is not resolved (domain 8.2 step 4): how long an acknowledged "
        "alert may wait for the clinician's outcome (RESOLVE <code>); then the acknowledger is "
        "reminded and the next rung above them paged, again at this interval. None: no outcome "
        "required (P2/P3).",
    )
    max_reminders: int | None = Field(
        default=3,
        ge=1,
        description="Unresolved reminders at most per acknowledgement; the last one also raises "
        "OperationalWarning(alert_unresolved) and no more follow (None: until resolved).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.mode == "page" and len(self.delays_seconds) != len(self.targets):
            raise ValueError("delays_seconds needs one delay per target")
        if any(d < 0 for d in self.delays_seconds):
            raise ValueError("delays must not be negative")
        return self


def _p0() -> Ladder:
    # domain 8.2 ESC-*: primary at once, backup at +15 min, director at +30, re-page every 5 min;
    # step 4: an outcome within 60 min of the ACK, else re-escalate (hourly, 3 times).
    # Re-paging every 5 min for 3 h after the director (36 rounds) bounds what one alert can
    # send whatever happens below it.
    return Ladder(
        delays_seconds=[0, 900, 900],
        repeat_every_seconds=300,
        max_repeats=36,
        resolve_within_seconds=3600,
        max_reminders=3,
    )


def _p1() -> Ladder:
    # domain 8.2: ack within 60 min, else the backup; the director an hour after that; patient
    # contact the same day (<= 4 h in business hours): an outcome within 4 h of the ACK.
    return Ladder(
        delays_seconds=[0, 3600, 3600],
        repeat_every_seconds=1800,
        max_repeats=12,
        resolve_within_seconds=4 * 3600,
        max_reminders=2,
    )


class Ladders(BaseModel):
    """The ladder of each severity (domain 8.2 defaults; every time is configurable)."""

    P0: Ladder = Field(default_factory=_p0)
    P1: Ladder = Field(default_factory=_p1)
    P2: Ladder = Field(default_factory=lambda: Ladder(mode="digest", resolve_within_seconds=None))
    P3: Ladder = Field(default_factory=lambda: Ladder(mode="digest", resolve_within_seconds=None))


def _default_sites() -> dict[str, SiteConfig]:
    chicago, denver, la = "America/Chicago", "America/Denver", "America/Los_Angeles"
    return {
        "austin": SiteConfig(zone=chicago, name="Austin"),
        "houston": SiteConfig(zone=chicago, name="Houston"),
        "el-paso": SiteConfig(zone=denver, name="El Paso"),
        "seattle": SiteConfig(zone=la, name="Seattle"),
        "spokane": SiteConfig(zone=la, name="Spokane"),
    }


class EscalationSection(BaseModel):
    """Sites, ladders, digest time and the knobs of the timers."""

    sites: dict[str, SiteConfig] = Field(default_factory=_default_sites)
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
        default=60, ge=1, description="Pages of one alert in one clock hour at most."
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
        return site.name if site else site_id[:24]


class EscalationSettings(BaseServiceSettings):
    """Everything the escalation process reads from its environment."""

    escalation: EscalationSection = Field(default_factory=EscalationSection)

    @model_validator(mode="after")
    def _real_time_in_production(self) -> Self:
        if self.env == "production" and self.escalation.time_scale != 1.0:
            raise ValueError("production mode refuses MTM_ESCALATION__TIME_SCALE other than 1")
        return self
