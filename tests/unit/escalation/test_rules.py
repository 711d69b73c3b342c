"""Policy steps per severity, whom a step pages, grouping, ACK authorisation, alert codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.context import Context
from services.escalation.model import AlertState
from services.escalation.rules.auth import may_acknowledge, may_resolve
from services.escalation.rules.codes import candidates
from services.escalation.rules.grouping import Grouping, decide, still_groups
from services.escalation.rules.policy import (
    LadderPlan,
    Step,
    acknowledger_rung,
    repeat_targets,
    resolve,
    step_at,
    unresolved_due,
    unresolved_target,
    unresolved_wait,
    wait_before,
)
from services.escalation.rules.roster import Roster, Slot
from services.escalation.settings import EscalationSection, EscalationSettings

AT = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def ladder(severity: str, **config: object) -> LadderPlan:
    return context_for(**config).ladder(severity)


def context_for(**config: object) -> Context:
    section = EscalationSection.model_validate(config)
    # The ladder reads only the config; the rest of the context is None stand-ins.
    return Context(
        config=section,
        store=None,  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]
        once=None,  # type: ignore[arg-type]
        alert_timers=None,  # type: ignore[arg-type]
        digest_timers=None,  # type: ignore[arg-type]
        clock=None,  # type: ignore[arg-type]
        ledger=None,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("severity", "rung", "step", "wait"),
    [
        ("P0", 0, Step(0, "primary"), 0),
        ("P0", 1, Step(1, "backup"), 15 * 60),
        ("P0", 2, Step(2, "director"), 15 * 60),  # t + 30 min
        ("P0", 3, Step(3, None, repeat=1), 5 * 60),
        ("P0", 10, Step(10, None, repeat=8), 5 * 60),  # until acknowledged
        ("P1", 0, Step(0, "primary"), 0),
        ("P1", 1, Step(1, "backup"), 60 * 60),
        ("P1", 2, Step(2, "director"), 60 * 60),
        ("P1", 3, Step(3, None, repeat=1), 30 * 60),
        ("P2", 0, None, None),
        ("P3", 0, None, None),
    ],
)
def test_default_ladders_follow_domain_8_2(
    severity: str, rung: int, step: Step | None, wait: float | None
) -> None:
    plan = ladder(severity)
    assert plan.mode == ("digest" if severity in ("P2", "P3") else "page")
    assert step_at(plan, rung) == step
    assert wait_before(plan, rung) == wait


def test_ladders_come_from_settings_scaled_and_bounded() -> None:
    plan = ladder(
        "P0", time_scale=0.01, ladders={"P0": {"delays_seconds": [0, 60, 120], "max_repeats": 2}}
    )
    assert [wait_before(plan, r) for r in range(6)] == [0, 0.6, 1.2, 3.0, 3.0, None]
    assert step_at(plan, 5) is None
    assert LadderPlan.from_dict(plan.to_dict()) == plan
    no_repeat = LadderPlan("page", ("primary",), (0.0,), None)
    assert step_at(no_repeat, 1) is None and wait_before(no_repeat, 1) is None


def test_settings_refuse_a_ladder_without_a_delay_per_target_and_scaled_time_in_production() -> (
    None
):
    with pytest.raises(ValueError, match="one delay per target"):
        EscalationSection.model_validate({"ladders": {"P0": {"delays_seconds": [0, 5]}}})
    with pytest.raises(ValueError, match="TIME_SCALE"):
        EscalationSettings(env="production", escalation={"time_scale": 0.1})


def _roster(site: str, primary: str | None, backup: str | None, director: str | None) -> Roster:
    shifts = (
        (
            Slot(
                datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC), primary, backup
            ),
        )
        if primary
        else ()
    )
    return Roster(site, "America/Chicago", shifts, (), director)


SITE = _roster("austin", "p", "b", "d")
NO_BACKUP = _roster("austin", "p", None, None)
EMPTY = _roster("austin", None, None, None)
NETWORK = _roster("network", "np", "nb", "nd")


@pytest.mark.parametrize(
    ("target", "site", "network", "expected"),
    [
        ("primary", SITE, NETWORK, ("p", "primary", False)),
        ("backup", SITE, NETWORK, ("b", "backup", False)),
        ("director", SITE, NETWORK, ("d", "director", False)),
        # Nobody on call at the site: the network-wide on-call stands in.
        ("primary", EMPTY, NETWORK, ("np", "network_primary", True)),
        ("backup", EMPTY, NETWORK, ("nb", "network_backup", True)),
        ("director", EMPTY, NETWORK, ("nd", "network_director", True)),
        ("primary", None, NETWORK, ("np", "network_primary", True)),
        # A site with a primary but no backup: the network's primary is the next person.
        ("backup", NO_BACKUP, NETWORK, ("np", "network_primary", True)),
        # Nobody anywhere.
        ("primary", EMPTY, None, (None, "primary", True)),
        ("backup", NO_BACKUP, None, (None, "backup", True)),
        ("director", NO_BACKUP, None, (None, "director", True)),
    ],
)
def test_whom_a_step_pages(
    target: str, site: Roster | None, network: Roster | None, expected: tuple[object, ...]
) -> None:
    found = resolve(target, site=site, network=network, at=AT)
    assert (found.clinician_id, found.role, found.network_fallback) == expected


def test_a_repeat_round_pages_everyone_paged_so_far_once_in_order() -> None:
    assert repeat_targets(["p", "b", "p", "d", "b"]) == ["p", "b", "d"]


@pytest.mark.parametrize(
    ("open_severity", "incoming", "expected"),
    [
        (None, "P0", Grouping.NEW),
        (None, "P3", Grouping.NEW),
        ("P0", "P0", Grouping.COUNT),
        ("P0", "P1", Grouping.COUNT),  # lower priority joins the open alert
        ("P1", "P1", Grouping.COUNT),
        ("P2", "P3", Grouping.COUNT),
        ("P1", "P0", Grouping.UPGRADE),  # never collapse a higher priority into a lower one
        ("P2", "P0", Grouping.UPGRADE),
        ("P3", "P2", Grouping.UPGRADE),
    ],
)
def test_grouping(open_severity: str | None, incoming: str, expected: Grouping) -> None:
    assert decide(open_severity, incoming) is expected


@pytest.mark.parametrize(
    ("status", "hours_ago", "groups"),
    [
        ("open", 0, True),
        ("open", 72, True),  # still paging: every repeat joins it, whatever its age
        ("acknowledged", 23, True),
        ("acknowledged", 25, False),  # an old acknowledged alert never swallows a new trigger
        ("queued", 2, True),
        ("resolved", 0, False),
        ("digested", 0, False),
    ],
)
def test_which_alerts_a_repeat_may_join(status: str, hours_ago: int, groups: bool) -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    raised_at = now - timedelta(hours=hours_ago)
    assert (
        still_groups(status=status, raised_at=raised_at, now=now, window=timedelta(hours=24))
        is groups
    )


PAGED = ["c-primary", "c-backup"]


@pytest.mark.parametrize(
    ("status", "clinician", "acked_by", "reminders", "allowed", "reason"),
    [
        ("open", "c-backup", None, 0, True, "ok"),
        ("open", "c-primary", None, 0, True, "ok"),
        ("open", "c-director", None, 0, False, "not_paged"),  # on the roster, not paged yet
        ("open", "c-stranger", None, 0, False, "not_paged"),
        ("acknowledged", "c-backup", "c-backup", 0, False, "duplicate"),
        ("acknowledged", "c-primary", "c-backup", 0, False, "already_acknowledged"),
        # Unresolved and escalated again: someone else paged for it may take it over...
        ("acknowledged", "c-primary", "c-backup", 1, True, "takeover"),
        ("acknowledged", "c-backup", "c-primary", 2, True, "takeover"),
        # ... but not the acknowledger again, nor anyone never paged.
        ("acknowledged", "c-backup", "c-backup", 1, False, "duplicate"),
        ("acknowledged", "c-stranger", "c-backup", 1, False, "not_paged"),
        ("resolved", "c-backup", "c-backup", 0, False, "not_open"),
        ("resolved", "c-primary", "c-backup", 1, False, "not_open"),
        ("queued", "c-backup", None, 0, False, "not_open"),
    ],
)
def test_ack_authorisation(
    status: str, clinician: str, acked_by: str | None, reminders: int, allowed: bool, reason: str
) -> None:
    verdict = may_acknowledge(
        status=status,
        paged=PAGED,
        clinician_id=clinician,
        acknowledged_by=acked_by,
        reminders=reminders,
    )
    assert (verdict.allowed, verdict.reason) == (allowed, reason)


@pytest.mark.parametrize(
    ("status", "clinician", "allowed", "reason"),
    [
        ("open", "c-primary", True, "ok"),
        ("acknowledged", "c-backup", True, "ok"),
        ("acknowledged", "c-stranger", False, "not_paged"),
        ("resolved", "c-primary", False, "duplicate"),
        ("digested", "c-primary", False, "not_open"),
    ],
)
def test_resolve_authorisation(status: str, clinician: str, allowed: bool, reason: str) -> None:
    verdict = may_resolve(status=status, paged=PAGED, clinician_id=clinician)
    assert (verdict.allowed, verdict.reason) == (allowed, reason)


def test_codes_are_short_numeric_and_the_same_for_the_same_alert() -> None:
    first = list(candidates("al-900"))
    assert first == list(candidates("al-900"))
    assert [len(c) for c in first] == [4] * 8 + [5] * 8 + [6] * 8
    assert all(c.isdigit() and c[0] != "0" for c in first)
    assert len(set(first)) == len(first)
    assert first[0] != next(candidates("al-901"))
    spread = {next(candidates(f"al-{i}")) for i in range(500)}
    assert len(spread) > 480  # few first-choice collisions among many alerts


# Acknowledged is not resolved (domain 8.2 step 4).
TARGETS = ("primary", "backup", "director")


@pytest.mark.parametrize(
    ("severity", "resolve_within", "max_reminders"),
    [
        ("P0", 60 * 60, 3),  # an outcome within 60 min of the ACK
        ("P1", 4 * 60 * 60, 2),  # patient contact the same day (<= 4 h)
        ("P2", None, 3),  # work queue / digest: no outcome deadline
        ("P3", None, 3),
    ],
)
def test_default_resolve_by_follows_domain_8_2(
    severity: str, resolve_within: float | None, max_reminders: int
) -> None:
    plan = ladder(severity)
    assert (plan.resolve_within, plan.max_reminders) == (resolve_within, max_reminders)
    assert unresolved_wait(plan, 0) == resolve_within


def test_resolve_by_comes_from_settings_scaled_and_frozen() -> None:
    plan = ladder(
        "P0",
        time_scale=0.01,
        ladders={"P0": {"resolve_within_seconds": 600, "max_reminders": None}},
    )
    assert [unresolved_wait(plan, n) for n in (0, 1, 50)] == [6.0, 6.0, 6.0]  # until resolved
    assert LadderPlan.from_dict(plan.to_dict()) == plan
    # An alert frozen before resolve-by existed takes the current settings' deadline.
    old = {k: v for k, v in ladder("P0").to_dict().items() if k not in ("resolve_within",)}
    state = AlertState(
        alert_id="al-1",
        patient_id="p-1",
        site_id="austin",
        severity="P0",
        rule_id="SYM-CSSRS-Q4",
        dedup_key="k",
        raised_at=AT,
        plan={**old, "max_reminders": None},
    )
    assert LadderPlan.from_dict(dict(state.plan)).resolve_within is None
    assert (context_for().resolve_plan(state).resolve_within, state.ladder.targets) == (
        3600,
        TARGETS,
    )
    frozen = state.model_copy(update={"plan": ladder("P1").to_dict()})
    assert context_for().resolve_plan(frozen).resolve_within == 4 * 3600


@pytest.mark.parametrize(
    ("resolve_within", "max_reminders", "reminders", "wait"),
    [
        (3600.0, 3, 0, 3600.0),  # at the ACK: the first deadline
        (3600.0, 3, 2, 3600.0),  # again after each reminder...
        (3600.0, 3, 3, None),  # ...until the last one
        (3600.0, 1, 1, None),
        (3600.0, None, 99, 3600.0),  # unbounded: until resolved
        (None, 3, 0, None),  # no outcome required
    ],
)
def test_when_the_next_resolve_by_check_is_due(
    resolve_within: float | None, max_reminders: int | None, reminders: int, wait: float | None
) -> None:
    plan = LadderPlan("page", TARGETS, (0, 900, 900), 300, None, resolve_within, max_reminders)
    assert unresolved_wait(plan, reminders) == wait


@pytest.mark.parametrize(
    ("status", "resolve_by_minutes", "due"),
    [
        ("acknowledged", -1, True),
        ("acknowledged", 0, True),
        ("acknowledged", 1, False),  # acknowledged again since the timer was set: not yet
        ("acknowledged", None, False),  # no deadline (reminders used up, or none required)
        ("resolved", -1, False),  # RESOLVE won the race
        ("open", -1, False),  # an upgrade re-opened it: the ladder runs again
    ],
)
def test_whether_a_resolve_by_check_finds_work(
    status: str, resolve_by_minutes: int | None, due: bool
) -> None:
    resolve_by = None if resolve_by_minutes is None else AT + timedelta(minutes=resolve_by_minutes)
    assert unresolved_due(status=status, resolve_by=resolve_by, now=AT) is due


@pytest.mark.parametrize(
    ("roles", "rung"),
    [
        (["primary"], 0),
        (["backup"], 1),
        (["director"], 2),
        (["primary", "repeat"], 0),
        (["primary", "backup"], 1),  # primary and backup the same person: the higher rung
        (["network_primary"], 0),  # a network stand-in counts as its target
        (["network_director"], 2),
        (["repeat"], 2),  # only repeat rounds reached them: above every rung
        (["primary", "reminder"], 0),
    ],
)
def test_the_acknowledgers_rung(roles: list[str], rung: int) -> None:
    assert acknowledger_rung(TARGETS, roles) == rung


@pytest.mark.parametrize(
    ("acknowledger", "reminder", "target"),
    [
        (0, 1, "backup"),  # the primary acknowledged: the backup at the first reminder
        (0, 2, "director"),
        (0, 3, "director"),  # the top rung once past it
        (1, 1, "director"),
        (2, 1, "director"),  # the director acknowledged: only the reminder (same person)
    ],
)
def test_whom_an_unresolved_reminder_escalates_to(
    acknowledger: int, reminder: int, target: str
) -> None:
    assert unresolved_target(TARGETS, acknowledger, reminder) == target
    assert unresolved_target(("primary",), 0, reminder) == "primary"
