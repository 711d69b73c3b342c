"""A P0 that reaches nobody never loops, storms or goes unnoticed: paced rungs, the fallback roster,
one no_reachable_on_call warning, hourly caps, and a bound on what one alert can request."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.escalation.rules.policy import LadderPlan, Step
from services.escalation.rules.reach import (
    PageOutcome,
    after_undelivered,
    failed_for_good,
    page_bound,
    rungs_failed,
    within_caps,
)
from shared.clock import FakeClock
from shared.events import (
    AlertEscalated,
    AlertPaged,
    Event,
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    NotificationSuppressed,
    OperationalWarning,
)
from tests.unit.escalation.conftest import (
    BACKUP,
    DIRECTOR,
    PRIMARY,
    T0,
    Harness,
    alert,
    make_settings,
    roster,
)

MIN = 60
NETWORK_PRIMARY, NETWORK_BACKUP = "n-primary", "n-backup"


async def start_with_network(h: Harness) -> None:
    await h.start()
    await h.publish(
        roster("network", primary=NETWORK_PRIMARY, backup=NETWORK_BACKUP, director=None)
    )


def suppressed(page: NotificationRequested, reason: str = "opted_out") -> NotificationSuppressed:
    return NotificationSuppressed(
        notification_id=page.notification_id,
        recipient=page.recipient,
        category="clinician_page",
        reason=reason,  # type: ignore[arg-type]
        source="dispatcher",
    )


def failed(page: NotificationRequested, code: int) -> NotificationFailed:
    return NotificationFailed(
        notification_id=page.notification_id,
        recipient=page.recipient,
        category="clinician_page",
        error_code=code,
        permanent=True,
        stage="send" if code < 30000 else "delivery",
        source="dispatcher",
    )


def delivered(page: NotificationRequested) -> NotificationDelivered:
    return NotificationDelivered(
        notification_id=page.notification_id,
        message_sid="SM" + "7" * 32,
        recipient=page.recipient,
        category="clinician_page",
        source="dispatcher",
    )


async def answer_pages(
    h: Harness, seen: int, outcome: Callable[[NotificationRequested], Event | None]
) -> int:
    """Answer every page published since `seen` with `outcome(page)`; returns the new count."""
    pages = h.pages()
    for page in pages[seen:]:
        status = outcome(page)
        if status is not None:
            await h.publish(status)
    await h.fire()
    return len(pages)


def warnings(h: Harness, kind: str) -> list[OperationalWarning]:
    return [w for w in h.mine(OperationalWarning) if w.warning == kind]


async def test_every_rung_opted_out_pages_the_fallback_at_once_with_one_warning(
    h: Harness,
) -> None:
    await start_with_network(h)
    await h.publish(alert())
    await h.fire()
    seen = 0
    for _ in range(4):
        seen = await answer_pages(h, seen, suppressed)
    # No time has passed: primary, backup, director each failed at once, then the fallback.
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR, NETWORK_PRIMARY, NETWORK_BACKUP]
    assert [e.reason for e in h.mine(AlertEscalated)] == [
        "undelivered",
        "undelivered",
        "unreachable",
    ]
    assert len(warnings(h, "no_reachable_on_call")) == 1
    assert "fallback network: n-primary, n-backup" in warnings(h, "no_reachable_on_call")[0].detail
    # The fallback also opted out: the repeat rounds keep their 5-minute pace and page only
    # those not blocked for good (nobody here), so nothing more is requested at all.
    await h.advance(5 * MIN - 1)
    assert len(h.pages()) == 5
    for _ in range(12 * 24):
        await h.advance(5 * MIN)
        await answer_pages(h, len(h.pages()), suppressed)
    assert len(h.pages()) == 5
    assert len(warnings(h, "no_reachable_on_call")) == 1
    assert len(warnings(h, "ladder_exhausted")) == 1


async def test_one_bad_rung_and_a_good_next_one(h: Harness) -> None:
    await start_with_network(h)
    await h.publish(alert())
    await h.fire()
    await h.publish(failed(h.pages()[0], 21211))
    await h.fire()
    assert h.paged() == [PRIMARY, BACKUP]
    await h.publish(delivered(h.pages()[1]))
    await h.fire()
    # The backup was reached: no fallback, no warning; the director comes after 15 minutes.
    await h.advance(15 * MIN - 1)
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(1)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert warnings(h, "no_reachable_on_call") == []
    # The primary's number is invalid: repeat rounds page the others, not them.
    await h.publish(delivered(h.pages()[2]))
    await h.advance(5 * MIN)
    assert h.paged()[3:] == [BACKUP, DIRECTOR]


async def test_unreachable_handsets_are_re_paged_at_the_ladder_pace_only(h: Harness) -> None:
    await start_with_network(h)
    await h.publish(alert())
    await h.fire()

    def off(page: NotificationRequested) -> NotificationFailed:
        return failed(page, 30003)

    seen = 0
    for _ in range(4):
        seen = await answer_pages(h, seen, off)
    assert len(h.pages()) == 5  # three rungs and the fallback's two, in no time
    for _ in range(12):  # an hour of 5-minute rounds
        await h.advance(5 * MIN)
        seen = await answer_pages(h, seen, off)
    # 30003 may clear: everyone is re-paged each round, never faster than every 5 minutes.
    assert len(h.pages()) == 5 + 12 * 5
    assert len(warnings(h, "no_reachable_on_call")) == 1


@given(outcomes=st.lists(st.sampled_from(["ok", "opted", "invalid", "off", "silent"]), max_size=80))
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_pages_of_one_alert_over_24_hours_stay_within_the_ladder_bound(
    outcomes: list[str],
) -> None:
    """Whatever the carrier says about each page, in whatever order, one P0 requests at most
    what its ladder allows in 24 h, and its repeat rounds are never closer than 5 minutes."""
    from tests.unit.escalation.conftest import make_harness

    config = make_settings().escalation
    async with make_harness(make_settings(), FakeClock(T0)) as h:
        await start_with_network(h)
        await h.publish(alert())
        await h.fire()
        draws = iter(outcomes)

        answers: dict[str, Callable[[NotificationRequested], Event | None]] = {
            "ok": delivered,
            "opted": suppressed,
            "invalid": lambda p: failed(p, 21211),
            "off": lambda p: failed(p, 30003),
            "silent": lambda p: None,
        }

        def outcome(page: NotificationRequested) -> Event | None:
            return answers[next(draws, "silent")](page)

        seen = await answer_pages(h, 0, outcome)
        for _ in range(24 * 60 // 5 * 2):  # 24 h in half-rounds
            await h.advance(150)
            seen = await answer_pages(h, seen, outcome)
        plan = LadderPlan(
            mode="page",
            targets=("primary", "backup", "director"),
            delays=(0, 900, 900),
            repeat_every=300,
            max_repeats=config.ladders.P0.max_repeats,
        )
        people = 5  # the site's three and the fallback's two
        bound = page_bound(
            plan, people=people, per_alert_hour=config.max_pages_per_alert_per_hour, hours=24
        )
        assert len(h.pages()) <= bound
        steps = [e for e in h.mine(AlertEscalated) if e.reason in ("no_ack", "undelivered")]
        assert len(steps) <= len(plan.targets) + (plan.max_repeats or 0)
        rounds = sorted({p.occurred_at for p in h.mine(AlertPaged) if p.role == "repeat"})
        assert all((b - a).total_seconds() >= 300 for a, b in pairwise(rounds))


async def test_the_hourly_cap_holds_pages_back_with_one_warning_an_hour() -> None:
    from tests.unit.escalation.conftest import make_harness

    settings = make_settings(max_pages_per_alert_per_hour=4)
    async with make_harness(settings, FakeClock(T0)) as h:
        await start_with_network(h)
        await h.publish(alert())
        await h.fire()
        await h.advance(15 * MIN)
        await h.advance(15 * MIN)
        await h.advance(5 * MIN)  # the first repeat round: 3 more would make 6
        assert len(h.pages()) == 4
        assert len(warnings(h, "page_cap_reached")) == 1


def test_rules_table() -> None:
    rung, repeat = Step(1, "backup"), Step(3, None, 1)
    assert after_undelivered(next_step=rung, rungs_failed=False, fallback_paged=False) == (
        "next_rung"
    )
    assert after_undelivered(next_step=repeat, rungs_failed=True, fallback_paged=False) == (
        "fallback"
    )
    assert after_undelivered(next_step=repeat, rungs_failed=True, fallback_paged=True) == "wait"
    assert after_undelivered(next_step=repeat, rungs_failed=False, fallback_paged=False) == "wait"
    assert after_undelivered(next_step=None, rungs_failed=True, fallback_paged=False) == "fallback"
    assert failed_for_good(suppressed_reason="opted_out")
    assert not failed_for_good(suppressed_reason="cap_reached")
    assert failed_for_good(permanent=True, error_code=21211)
    assert not failed_for_good(permanent=True, error_code=30003)
    assert not failed_for_good(permanent=False, error_code=21610)
    bad = [PageOutcome(0, False, True), PageOutcome(1, False, True), PageOutcome(2, False, True)]
    assert rungs_failed(bad, base=0, rungs=3, fired_step=2)
    assert not rungs_failed(bad, base=0, rungs=3, fired_step=1)
    assert not rungs_failed([*bad[:2], PageOutcome(2, False, False)], base=0, rungs=3, fired_step=2)
    assert rungs_failed(bad[:2], base=0, rungs=3, fired_step=2)  # nobody at the director rung
    assert within_caps(alert_pages=59, clinician_pages=0, per_alert=60, per_clinician=30)
    assert not within_caps(alert_pages=1, clinician_pages=30, per_alert=60, per_clinician=30)


def test_page_bound_of_the_default_p0() -> None:
    plan = LadderPlan(
        mode="page",
        targets=("primary", "backup", "director"),
        delays=(0, 900, 900),
        repeat_every=300,
        max_repeats=36,
    )
    assert page_bound(plan, people=5, per_alert_hour=60, hours=24) == 3 + 5 + 36 * 5
    assert page_bound(LadderPlan(mode="digest"), people=5, per_alert_hour=60, hours=24) == 0


def site_out_fallback_in(page: NotificationRequested) -> Event:
    """The site's numbers opted out; the fallback's reached."""
    return delivered(page) if page.recipient.id.startswith("n-") else suppressed(page)


async def test_the_fallback_page_is_never_held_back_by_a_cap() -> None:
    """The site's people paged once already this hour (cap 1) page nobody for a second alert:
    those rungs count as failed at once, and the fallback, though over its own cap, is paged."""
    from tests.unit.escalation.conftest import make_harness

    settings = make_settings(max_pages_per_clinician_per_hour=1)
    async with make_harness(settings, FakeClock(T0)) as h:
        await start_with_network(h)
        for alert_id in ("al-1", "al-2"):  # the fallback's hourly page budget used by al-1
            await h.publish(alert(alert_id, dedup_key=f"p-1:{alert_id}"))
            await h.fire()
            seen = 0
            for _ in range(4):
                seen = await answer_pages(h, seen, site_out_fallback_in)
        fallback = [p.recipient.id for p in h.pages() if p.recipient.id.startswith("n-")]
        assert fallback == [NETWORK_PRIMARY, NETWORK_BACKUP] * 2
        assert len(warnings(h, "no_reachable_on_call")) == 2


async def test_the_fallback_then_all_repeat_rounds_with_the_reached_first(h: Harness) -> None:
    await start_with_network(h)
    await h.publish(alert())
    await h.fire()
    seen = 0
    for _ in range(4):
        seen = await answer_pages(h, seen, site_out_fallback_in)
    for _ in range(12 * 4):  # four hours of 5-minute rounds
        await h.advance(5 * MIN)
        seen = await answer_pages(h, seen, site_out_fallback_in)
    repeats = [p for p in h.mine(AlertPaged) if p.role == "repeat" and p.delivery == "requested"]
    # The fallback's step is no repeat round: all 36 follow it, each to the two reached.
    assert len(repeats) == 36 * 2
    assert {p.clinician_id for p in repeats} == {NETWORK_PRIMARY, NETWORK_BACKUP}
    assert len(warnings(h, "ladder_exhausted")) == 1
