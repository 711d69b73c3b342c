"""Unreachable on-call (ESC-UNREACHABLE), counted at the fake Twilio: four sites whose on-call
fails in four ways, one P0 each, nobody acknowledges, a simulated day of the ladder.

| case | the site's primary, backup, director | must happen |
|---|---|---|
| opted-out | every create answers 21610 | fallback paged at once, one no_reachable_on_call |
| unreachable | every message ends undelivered 30003 (callbacks through the gateway) | same |
| invalid | every create answers 21211 | same |
| one-bad-rung | primary 21211, backup and director delivered | backup at once, no fallback |

The fallback is the network-wide on-call (a RosterPublished for site `network` with
`network_fallback=true`), two reachable clinicians shared by the four sites. Only the paging path
runs: the fake Twilio, the gateway (status callbacks), the dispatcher and escalation, with the
ladder's time scaled by TIME_SCALE. Each alert's pages requested and SMS accepted stay under
`rules.reach.page_bound` for the configuration used, over the simulated 24 h.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from deploy.local.private_kafka import PrivateKafka
from services.escalation.rules.policy import LadderPlan
from services.escalation.rules.reach import page_bound
from services.escalation.settings import EscalationSection
from shared import events as ev
from shared import topics
from tests.faults.count import consumer_lag, read_topics
from tests.faults.stack import Stack, StackConfig
from tests.faults.workload import SITES, Person, Publisher, number
from tests.integration.escalation_procs.support import roster_now
from tests.kafka_tools import eventually

TIME_SCALE = 0.003
"""Every ladder wait and the caps' hour times this: the backup's 900 s is 2.7 s, a repeat round
0.9 s, an hour 10.8 s, the simulated day 259 s."""
SIM_HOURS = 24.0
RUNG_DELAY = 900.0
"""The P0 ladder's wait before the backup (settings default): a failed page must reach the
fallback sooner than the ladder alone would have reached the next rung."""
PER_CLINICIAN_PER_HOUR = 120
"""Raised from 30: the two fallback clinicians are shared by three alerts at once (opted-out,
unreachable and invalid), each re-paging them every round, about 12 rounds a (scaled) hour, so
~39 pages an hour reach each of them. At 30 the per-clinician cap, not each alert's ladder,
would decide what those alerts send, and which alert's page is held back would depend on
whose round came first in each hour. The per-alert cap (60, the default, and the one the bound
uses) is left as it is."""
NETWORK = "network"
ROLES = ("primary", "backup", "director")
PATHS = ("gateway", "dispatcher", "escalation")
QUIET = 5.0
PAGE = re.compile(r"URGENT P0 alert, code (\d{3,8})\.")
FALLBACK = (
    Person("c-oc-network-primary", NETWORK, number("312", 9700)),
    Person("c-oc-network-backup", NETWORK, number("312", 9701)),
)


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    site: str
    created: dict[str, int] = field(default_factory=dict)
    """Role -> the error every create to their number answers (21610, 21211)."""
    undelivered: dict[str, int] = field(default_factory=dict)
    """Role -> the ErrorCode every message to their number ends undelivered with (30003)."""

    @property
    def reaches_fallback(self) -> bool:
        """Whether every rung fails (the fallback must be paged)."""
        return set(self.created) | set(self.undelivered) == set(ROLES)

    @property
    def alert_id(self) -> str:
        return f"al-oncall-{self.site}"

    def team(self) -> dict[str, Person]:
        area = SITES[self.site][0]
        return {
            role: Person(f"c-oc-{self.site}-{role}", self.site, number(area, 9600 + k))
            for k, role in enumerate(ROLES)
        }

    def for_good(self) -> set[str]:
        """Roles whose page failed for good (a repeat round must skip them)."""
        return set(self.created)


CASES = (
    Case(
        "opted-out",
        "every rung opted out at the carrier (21610 on create)",
        "austin",
        created=dict.fromkeys(ROLES, 21610),
    ),
    Case(
        "unreachable",
        "every rung unreachable (each message ends undelivered 30003)",
        "houston",
        undelivered=dict.fromkeys(ROLES, 30003),
    ),
    Case(
        "invalid",
        "every rung invalid (21211 on create)",
        "el-paso",
        created=dict.fromkeys(ROLES, 21211),
    ),
    Case(
        "one-bad-rung",
        "primary invalid (21211), backup and director delivered",
        "seattle",
        created={"primary": 21211},
    ),
)


def section() -> EscalationSection:
    """Escalation's settings as the service reads them from `stack_env` (the bound's input)."""
    return EscalationSection.model_validate(
        {
            "time_scale": TIME_SCALE,
            "max_pages_per_clinician_per_hour": PER_CLINICIAN_PER_HOUR,
        }
    )


def p0_plan(config: EscalationSection) -> LadderPlan:
    """The P0 ladder frozen into a new alert (as services.escalation.context.Context.ladder)."""
    return config.ladders.P0.plan(config.time_scale)


def people() -> int:
    """Everyone who could ever be paged for one alert: the site's three and the fallback's two."""
    return len(ROLES) + len(FALLBACK)


def bound() -> int:
    config = section()
    return page_bound(
        p0_plan(config),
        people=people(),
        per_alert_hour=config.max_pages_per_alert_per_hour,
        hours=SIM_HOURS,
    )


def stack_env() -> dict[str, str]:
    return {
        # dispatcher: sends at once, a dead worker's send taken over after 6 s, look-ups after 15 s
        "MTM_DISPATCHER__RATE_PER_SECOND": "1000",
        "MTM_DISPATCHER__CLAIM_LEASE_SECONDS": "6",
        "MTM_DISPATCHER__BACKOFF_BASE_SECONDS": "0.1",
        "MTM_DISPATCHER__BACKOFF_MAX_SECONDS": "2",
        "MTM_DISPATCHER__AMBIGUOUS_SETTLE_SECONDS": "0.5",
        "MTM_DISPATCHER__TWILIO_TIMEOUT_SECONDS": "5",
        "MTM_DISPATCHER__RECONCILE_AFTER_SECONDS": "15",
        "MTM_DISPATCHER__RECONCILE_EVERY_SECONDS": "2",
        # escalation: the default P0 ladder (0/900/900 s, repeats every 300 s, 36 of them) and
        # caps, on a scaled clock; short leases
        "MTM_ESCALATION__TIME_SCALE": str(TIME_SCALE),
        "MTM_ESCALATION__MAX_PAGES_PER_CLINICIAN_PER_HOUR": str(PER_CLINICIAN_PER_HOUR),
        "MTM_ESCALATION__TIMER_LEASE_SECONDS": "2",
        "MTM_ESCALATION__STEP_CLAIM_SECONDS": "1",
        "MTM_ESCALATION__RELAY_INTERVAL_SECONDS": "0.5",
    }


def faults() -> dict[str, Any]:
    """The fake Twilio's knobs for the whole run."""
    created: dict[str, int] = {}
    undelivered: dict[str, int] = {}
    for case in CASES:
        team = case.team()
        created |= {team[role].phone: code for role, code in case.created.items()}
        undelivered |= {team[role].phone: code for role, code in case.undelivered.items()}
    return {"error_by_number": created, "undelivered_by_number": undelivered}


def setup_events() -> list[ev.Event]:
    """The clinicians (registered), each site's roster and the network fallback roster."""
    out: list[ev.Event] = []
    for case in CASES:
        team = case.team()
        out += [clinician(p, [case.site]) for p in team.values()]
        out.append(
            roster_now(
                case.site,
                primary=team["primary"].id,
                backup=team["backup"].id,
                director=team["director"].id,
                zone=SITES[case.site][1],
                source="faults",
            )
        )
    out += [clinician(p, [NETWORK]) for p in FALLBACK]
    out.append(
        roster_now(
            NETWORK,
            primary=FALLBACK[0].id,
            backup=FALLBACK[1].id,
            director=None,
            network_fallback=True,
            source="faults",
        )
    )
    return out


def clinician(p: Person, sites: list[str]) -> ev.ClinicianRegistered:
    return ev.ClinicianRegistered(
        clinician_id=p.id, phone=p.phone, display_name="On Call", sites=sites, source="faults"
    )


def raised(case: Case) -> ev.ClinicalAlertRaised:
    return ev.ClinicalAlertRaised(
        patient_id=f"p-oncall-{case.site}",
        site_id=case.site,
        alert_id=case.alert_id,
        severity="P0",
        rule_id="SYM-CSSRS-Q4",
        dedup_key=f"p-oncall-{case.site}:cssrs",
        source="faults",
    )


# ---------------------------------------------------------------------- the figures


@dataclass
class Figures:
    """What one case's alert requested and sent (SMS counted at the fake Twilio)."""

    case: str
    title: str
    site: str
    alert_id: str
    code: str | None = None
    pages: int = 0
    """NotificationRequested clinician_page on mtm.notify.urgent for the alert."""
    pages_by_role: dict[str, int] = field(default_factory=dict)
    pages_to_site: dict[str, int] = field(default_factory=dict)
    """Site role -> pages requested to that clinician."""
    sms: int = 0
    """SMS the fake accepted for the alert (to the site's and the fallback's numbers)."""
    sms_site: int = 0
    sms_fallback: int = 0
    sms_untraced: int = 0
    """SMS whose SID no NotificationSent for one of the alert's pages names."""
    sms_duplicated: int = 0
    """SMS beyond one per page requested."""
    bound: int = 0
    limit: float = RUNG_DELAY * TIME_SCALE
    fallback_after: float | None = None
    """Seconds from the alert's produce to the fake's acceptance of the first fallback SMS."""
    backup_after: float | None = None
    backup_delivered: bool = False
    no_reachable: int = 0
    exhausted: int = 0
    capped: int = 0
    """page_cap_reached warnings for the alert."""
    rounds: int = 0
    """Repeat rounds that paged someone (the fallback's step not counted)."""
    min_gap: float | None = None
    """Shortest time between two consecutive steps after the last rung (the rounds' pace)."""
    last_page_after: float | None = None
    """Seconds from the produce to the last page requested."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Result:
    """The whole run: the four cases' figures, and the stack's health."""

    figures: list[Figures]
    seconds: float
    simulated_seconds: float
    timeline: list[str]
    workdir: Path
    exits: int = 0
    dead_letters: int = 0
    lag: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "time_scale": TIME_SCALE,
            "simulated_hours": SIM_HOURS,
            "per_clinician_per_hour": PER_CLINICIAN_PER_HOUR,
            "seconds": round(self.seconds, 1),
            "simulated_seconds": round(self.simulated_seconds, 1),
            "exits": self.exits,
            "dead_letters": self.dead_letters,
            "lag": self.lag,
            "notes": self.notes,
            "timeline": self.timeline,
            "cases": [f.as_dict() for f in self.figures],
        }


async def run(infra: PrivateKafka, workdir: Path) -> Result:
    """The four cases at once on one stack, from a cold start to the count."""
    began = time.monotonic()
    prefix = f"f{int(time.time())}-oncall."
    config = StackConfig(env=stack_env(), log_level=os.environ.get("FAULTS_LOG_LEVEL", "WARNING"))
    stack = Stack(infra, workdir, prefix=prefix, config=config, services=PATHS)
    simulated = SIM_HOURS * 3600 * TIME_SCALE
    try:
        await stack.start()
        await stack.set_faults(**faults())
        async with Publisher(infra.bootstrap, prefix) as publisher:
            await publisher.publish(setup_events())
            await _known(stack)
            produced: dict[str, float] = {}
            for case in CASES:
                produced[case.alert_id] = time.time()
                await publisher.publish([raised(case)])
            stack.note("alerts produced")
        # Nobody acknowledges: the simulated day runs its course (the supervisor notes and
        # restarts a service that exits meanwhile).
        await asyncio.sleep(max(0.0, min(produced.values()) + simulated - time.time()))
        stack.note("simulated day over")
        await _quiet(stack)
        result = await _count(stack, produced)
        stack.note("counted")
        result.exits = sum(len(p.exits) for p in stack.procs.values())
        result.notes += [
            f"{p.name} exited on its own {len(p.exits)}x (exit codes {p.exits})"
            for p in stack.procs.values()
            if p.exits
        ]
    finally:
        await stack.stop()
    result.timeline = [f"{at - began:6.1f}s {what}" for at, what in stack.events]
    result.seconds = time.monotonic() - began
    result.simulated_seconds = simulated
    return result


async def _known(stack: Stack, timeout: float = 90) -> None:
    """The dispatcher knows every clinician's number, escalation every clinician and roster."""
    ns = stack.namespace
    ids = [p.id for case in CASES for p in case.team().values()] + [p.id for p in FALLBACK]
    keys = [f"{ns}:dispatcher:contact:clinician:{c}" for c in ids]
    keys += [f"{ns}:escalation:clinician:{c}" for c in ids]
    keys += [f"{ns}:escalation:roster:{site}" for site in [c.site for c in CASES] + [NETWORK]]
    keys.append(f"{ns}:escalation:network-site")
    redis = Redis.from_url(stack.infra.redis_url)
    try:

        async def all_there() -> bool:
            for crashed in stack.crashed():
                raise AssertionError(f"{crashed} exited:\n{stack.procs[crashed].tail()}")
            return int(await redis.exists(*keys)) == len(keys)

        await eventually(all_there, timeout=timeout, interval=0.5, message="setup known")
    finally:
        await redis.aclose()
    stack.note("clinicians and rosters known")


async def _quiet(stack: Stack, deadline: float = 60) -> None:
    """Every consumer caught up and no new SMS for QUIET seconds (or `deadline` seconds)."""
    seen, since, end = -1, time.monotonic(), time.monotonic() + deadline
    while time.monotonic() < end:
        sms = len(await stack.messages())
        lag = sum((await consumer_lag(stack.infra.bootstrap, stack.prefix)).values())
        if sms != seen or lag:
            seen, since = sms, time.monotonic()
        elif time.monotonic() - since >= QUIET:
            return
        await asyncio.sleep(1)
    stack.note("not quiet at the deadline")


async def _count(stack: Stack, produced: dict[str, float]) -> Result:
    names = [topics.NOTIFY_URGENT, topics.NOTIFY_STATUS, topics.ALERTS]
    dlqs = [topics.dlq(t) for t in topics.ALL_TOPICS]
    raw = await read_topics(stack.infra.bootstrap, [stack.prefix + n for n in [*names, *dlqs]])
    parsed = {
        n: [ev.parse_event(n, json.loads(r.value)) for r in raw[stack.prefix + n]] for n in names
    }
    sms = await stack.messages()
    result = Result(figures=[], seconds=0, simulated_seconds=0, timeline=[], workdir=stack.workdir)
    result.dead_letters = sum(len(raw[stack.prefix + d]) for d in dlqs)
    result.lag = sum((await consumer_lag(stack.infra.bootstrap, stack.prefix)).values())
    for case in CASES:
        result.figures.append(figures(case, parsed, sms, produced[case.alert_id]))
    return result


def figures(
    case: Case, parsed: dict[str, list[ev.Event]], sms: list[dict[str, Any]], produced: float
) -> Figures:
    """One case's figures from the topics and the fake's messages."""
    config = section()
    plan = p0_plan(config)
    alert = case.alert_id
    f = Figures(case.name, case.title, case.site, alert, bound=bound())
    team = case.team()
    site_phones = {p.phone: role for role, p in team.items()}
    fallback_phones = {p.phone for p in FALLBACK}
    role_of_id = {p.id: role for role, p in team.items()}

    requests = [
        e
        for e in parsed[topics.NOTIFY_URGENT]
        if isinstance(e, ev.NotificationRequested)
        and e.category == "clinician_page"
        and e.reply_context.extra.get("alert_id") == alert
    ]
    f.pages = len(requests)
    nids = {str(r.notification_id) for r in requests}
    f.pages_to_site = dict(
        Counter(role_of_id[r.recipient.id] for r in requests if r.recipient.id in role_of_id)
    )

    alerts = parsed[topics.ALERTS]
    paged = [
        e
        for e in alerts
        if isinstance(e, ev.AlertPaged) and e.alert_id == alert and e.delivery == "requested"
    ]
    f.code = next((e.code for e in paged), None)
    f.pages_by_role = dict(Counter(e.role or "?" for e in paged))
    step_at: dict[int, float] = {}
    for e in paged:
        at = e.occurred_at.timestamp()
        step_at[e.step] = min(step_at.get(e.step, at), at)
    # The fallback comes at once by design and is no repeat round; every other step after the
    # last rung is a repeat round and waits its turn (from the step before it).
    fallback = _fallback_step(paged)
    f.rounds = len([s for s in step_at if s >= len(plan.targets) and s != fallback])
    paced = [
        step_at[b] - step_at[a]
        for a, b in pairwise(sorted(step_at))
        if b >= len(plan.targets) and b != fallback
    ]
    f.min_gap = min(paced) if paced else None
    times = [r.occurred_at.timestamp() for r in requests]
    f.last_page_after = max(times) - produced if times else None

    def warnings(kind: str) -> int:
        return sum(
            1
            for e in alerts
            if isinstance(e, ev.OperationalWarning) and e.warning == kind and e.alert_id == alert
        )

    f.no_reachable = warnings("no_reachable_on_call")
    f.exhausted = warnings("ladder_exhausted")
    f.capped = warnings("page_cap_reached")

    status = parsed[topics.NOTIFY_STATUS]
    sid_to_nid = {
        e.message_sid: str(e.notification_id) for e in status if isinstance(e, ev.NotificationSent)
    }
    ours = [
        m
        for m in sms
        if (m["to"] in site_phones or m["to"] in fallback_phones)
        and (page := PAGE.search(m["body"])) is not None
        and page.group(1) == f.code
    ]
    f.sms = len(ours)
    f.sms_site = sum(1 for m in ours if m["to"] in site_phones)
    f.sms_fallback = sum(1 for m in ours if m["to"] in fallback_phones)
    traced = Counter(sid_to_nid.get(m["sid"]) for m in ours)
    f.sms_untraced = sum(n for nid, n in traced.items() if nid not in nids)
    f.sms_duplicated = sum(n - 1 for nid, n in traced.items() if nid in nids and n > 1)

    def accepted(m: dict[str, Any]) -> float:
        return datetime.fromisoformat(m["accepted_at"]).timestamp()

    to_fallback = [accepted(m) for m in ours if m["to"] in fallback_phones]
    f.fallback_after = min(to_fallback) - produced if to_fallback else None
    to_backup = [m for m in ours if site_phones.get(m["to"]) == "backup"]
    if to_backup:
        f.backup_after = min(accepted(m) for m in to_backup) - produced
        f.backup_delivered = any(m["status"] == "delivered" for m in to_backup)
    return f


def _fallback_step(paged: list[ev.AlertPaged]) -> int | None:
    steps = [e.step for e in paged if (e.role or "").startswith("fallback_")]
    return min(steps) if steps else None
