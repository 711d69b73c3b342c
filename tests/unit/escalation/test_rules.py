"""Policy steps per severity, whom a step pages, grouping, ACK authorisation, alert codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.deps import Deps
from services.escalation.rules.auth import may_acknowledge, may_resolve
from services.escalation.rules.codes import candidates
from services.escalation.rules.grouping import Grouping, decide, still_groups
from services.escalation.rules.policy import (
    LadderPlan,
    Step,
    repeat_targets,
    resolve,
    step_at,
    wait_before,
)
from services.escalation.rules.roster import Roster, Slot
from services.escalation.settings import EscalationSection, EscalationSettings

AT = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def ladder(severity: str, **config: object) -> LadderPlan:
    section = EscalationSection.model_validate(config)
    deps = Deps(
        config=section,
        store=None,
        outbox=None,
        claims=None,  # type: ignore[arg-type]
        alert_timers=None,
        digest_timers=None,
        clock=None,
    )  # type: ignore[arg-type]
    return deps.ladder(severity)


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
    ("status", "clinician", "acked_by", "allowed", "reason"),
    [
        ("open", "c-backup", None, True, "ok"),
        ("open", "c-primary", None, True, "ok"),
        ("open", "c-director", None, False, "not_paged"),  # on the roster, but not paged yet
        ("open", "c-stranger", None, False, "not_paged"),
        ("acknowledged", "c-backup", "c-backup", False, "duplicate"),
        ("acknowledged", "c-primary", "c-backup", False, "already_acknowledged"),
        ("resolved", "c-backup", "c-backup", False, "not_open"),
        ("queued", "c-backup", None, False, "not_open"),
    ],
)
def test_ack_authorisation(
    status: str, clinician: str, acked_by: str | None, allowed: bool, reason: str
) -> None:
    verdict = may_acknowledge(
        status=status, paged=PAGED, clinician_id=clinician, acknowledged_by=acked_by
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
