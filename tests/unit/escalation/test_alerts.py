"""Raising alerts: codes, redelivery, grouping and upgrades, the network fallback, P2/P3 digest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.events import (
    AlertEscalated,
    AlertPaged,
    NotificationRequested,
    OperationalWarning,
)
from tests.unit.escalation.conftest import (
    BACKUP,
    DIRECTOR,
    PRIMARY,
    Harness,
    alert,
    roster,
)

MIN = 60


async def test_a_redelivered_alert_keeps_its_code_and_is_not_paged_twice(h: Harness) -> None:
    await h.start()
    raised = alert()
    await h.publish(raised)
    await h.fire()
    await h.publish(raised)
    await h.fire()
    assert h.paged() == [PRIMARY]
    state = await h.ctx.store.alert("al-1")
    assert state is not None and state.count == 1
    assert state.code == h.pages()[0].variables["code"]


async def test_the_same_dedup_key_while_open_is_counted_not_paged(h: Harness) -> None:
    await h.start()
    await h.publish(alert("al-1", "P1"))
    await h.fire()
    await h.publish(alert("al-2", "P1"))
    await h.publish(alert("al-3", "P2"))  # lower priority: joins the open alert too
    await h.publish(alert("al-3", "P2"))  # and a redelivery of it is not counted again
    await h.fire()
    assert h.paged() == [PRIMARY]
    state = await h.ctx.store.alert("al-1")
    assert state is not None and (state.count, state.severity) == (3, "P1")
    assert await h.ctx.store.alert("al-2") is None


async def test_a_p0_on_an_open_p1_escalates_it_to_p0_and_follows_the_p0_ladder(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert("al-1", "P1"))
    await h.fire()
    await h.advance(10 * MIN)
    await h.publish(alert("al-2", "P0"))
    await h.fire()
    pages = h.pages()
    assert [(p.recipient.id, p.variables["severity"]) for p in pages] == [
        (PRIMARY, "P1"),
        (PRIMARY, "P0"),
    ]
    assert pages[0].variables["code"] == pages[1].variables["code"]
    assert [(e.from_step, e.to_step, e.reason) for e in h.mine(AlertEscalated)] == [
        (0, 1, "severity_raised")
    ]
    await h.advance(15 * MIN)  # P0: the backup after 15 minutes, not the P1 hour
    assert h.paged() == [PRIMARY, PRIMARY, BACKUP]
    state = await h.ctx.store.alert("al-1")
    assert state is not None and (state.severity, state.count) == ("P0", 2)


# The P1 ladder without its resolve-by check, which would page the backup 4 h after the ACK.
P1_NO_RESOLVE_BY = {
    "ladders": {
        "P1": {
            "delays_seconds": [0, 3600, 3600],
            "repeat_every_seconds": 1800,
            "resolve_within_seconds": None,
        }
    }
}


@pytest.mark.parametrize("settings", [P1_NO_RESOLVE_BY], indirect=True)
async def test_a_repeat_a_day_after_an_unresolved_ack_opens_a_new_alert(h: Harness) -> None:
    await h.start()
    await h.publish(alert("al-1", "P1"))
    await h.fire()
    await h.ack(h.pages()[0].variables["code"], PRIMARY)
    await h.advance(23 * 60 * MIN)
    await h.publish(alert("al-2", "P1"))  # within 24 h: joins the acknowledged alert
    await h.fire()
    assert len(h.pages()) == 1
    await h.advance(2 * 60 * MIN)
    await h.publish(alert("al-3", "P1"))  # 25 h later, still unresolved: a new alert, paged
    await h.fire()
    assert h.paged() == [PRIMARY, PRIMARY]
    codes = {p.variables["code"] for p in h.pages()}
    assert len(codes) == 2
    await h.publish(alert("al-3", "P1"))  # redelivered: nothing more
    await h.publish(alert("al-2", "P1"))
    await h.fire()
    assert len(h.pages()) == 2


async def test_a_p0_on_an_acknowledged_p1_pages_again(h: Harness) -> None:
    await h.start()
    await h.publish(alert("al-1", "P1"))
    await h.fire()
    await h.ack(h.pages()[0].variables["code"], PRIMARY)
    await h.publish(alert("al-2", "P0"))
    await h.fire()
    assert [p.variables["severity"] for p in h.pages()] == ["P1", "P0"]
    await h.ack(h.pages()[0].variables["code"], PRIMARY)
    await h.advance(60 * MIN - 1)  # (at 60 min the resolve-by check re-escalates)
    assert len(h.pages()) == 2


async def test_codes_are_unique_among_open_alerts(h: Harness) -> None:
    await h.start()
    for i in range(30):
        await h.publish(alert(f"al-{i}", dedup_key=f"p-{i}:rule"))
    await h.fire()
    codes = [p.variables["code"] for p in h.pages()]
    assert len(codes) == 30 and len(set(codes)) == 30


async def test_a_site_with_nobody_on_call_falls_back_to_the_network_and_warns(
    h: Harness,
) -> None:
    await h.start(with_roster=False)
    await h.publish(
        roster(
            "network", primary="c-net", backup="c-net-b", director="c-net-d", network_fallback=True
        )
    )
    await h.publish(roster("houston", primary="c-hou", days=1))  # ended before T0
    await h.publish(alert(site_id="houston"))
    await h.fire()
    assert h.paged() == ["c-net"]
    [warning] = [w for w in h.mine(OperationalWarning) if w.warning == "no_one_on_call"]
    assert warning.site_id == "houston" and "network on-call paged" in warning.detail
    assert [e.role for e in h.mine(AlertPaged)] == ["network_primary"]


async def test_with_nobody_anywhere_the_ladder_moves_straight_on_and_warns(h: Harness) -> None:
    await h.start(with_roster=False)
    await h.publish(roster("austin", days=1))  # ended: nobody on call, but a director
    await h.publish(alert())
    await h.fire()
    assert h.paged() == [DIRECTOR]
    reasons = [e.reason for e in h.mine(AlertEscalated)]
    assert reasons == ["no_one_on_call", "no_one_on_call"]
    assert len([w for w in h.mine(OperationalWarning) if w.warning == "no_one_on_call"]) == 2


async def test_with_no_roster_yet_it_looks_again_soon_and_pages_whoever_is_on_call_then(
    h: Harness,
) -> None:
    await h.start(with_roster=False)
    await h.publish(alert())
    await h.fire()
    assert h.paged() == []
    assert len([w for w in h.mine(OperationalWarning) if w.warning == "no_one_on_call"]) == 3
    await h.publish(roster())  # the roster arrives late (a consumer catching up)
    await h.advance(30)  # not the 5-minute repeat: with nobody paged, it looks again in 30 s
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert {e.role for e in h.mine(AlertPaged)} == {"repeat"}


async def test_a_repeat_round_also_pages_whoever_took_over_the_shift(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    await h.advance(15 * MIN)
    await h.advance(15 * MIN)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    await h.publish(roster(primary="c-next", backup="c-next-b"))  # hand-over to a new team
    await h.advance(5 * MIN)
    assert h.paged()[3:] == [PRIMARY, BACKUP, DIRECTOR, "c-next", "c-next-b"]


async def test_a_roster_gap_in_the_next_7_days_is_reported_once_with_local_times(
    h: Harness,
) -> None:
    published = roster(days=4)  # 2026-03-08 to 2026-03-12 local; T0 is 2026-03-09 23:00 CDT
    await h.publish(published)
    await h.publish(published)  # a redelivery reports nothing new
    [gap] = [w for w in h.mine(OperationalWarning) if w.warning == "roster_gap"]
    assert gap.site_id == "austin"
    assert "2026-03-12 00:00 CDT to 2026-03-16 23:00 CDT" in gap.detail
    await h.publish(roster(days=10))
    assert len([w for w in h.mine(OperationalWarning) if w.warning == "roster_gap"]) == 1


async def test_a_roster_with_an_impossible_shift_is_dead_lettered(h: Harness) -> None:
    bad = roster().model_copy(
        update={"shifts": [roster().shifts[0].model_copy(update={"end_local": "2026-03-07T00:00"})]}
    )
    await h.broker.publish(bad.model_dump(mode="json"), topic="mtm.clinicians")
    assert await h.ctx.store.roster("austin") is None
    [dead] = h.dead
    assert dead["roster_id"] == "r-austin"
    h.dead.clear()


@pytest.mark.parametrize("severity", ["P2", "P3"])
async def test_p2_and_p3_go_to_the_daily_digest_as_counts(h: Harness, severity: str) -> None:
    await h.start()
    await h.publish(alert("al-1", severity))
    await h.publish(alert("al-2", severity))  # grouped: counted in
    await h.publish(alert("al-3", "P3", dedup_key="p-2:other"))
    await h.fire()
    assert h.pages() == []
    # The digest goes at 08:00 in Austin: 13:00Z (CDT).
    h.clock.set(datetime(2026, 3, 10, 12, 59, tzinfo=UTC))
    await h.fire()
    assert not [n for n in h.events(NotificationRequested) if n.category == "digest"]
    h.clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    await h.fire()
    [digest] = [n for n in h.events(NotificationRequested) if n.category == "digest"]
    expected = (
        {"count": "3", "p2": "2", "p3": "1"} if severity == "P2" else {"count": "3", "p3": "3"}
    )
    assert digest.variables == expected
    assert (digest.template_id, digest.recipient.id, digest.priority) == (
        "digest",
        DIRECTOR,
        "routine",
    )
    state = await h.ctx.store.alert("al-1")
    assert state is not None and state.status == "digested"
    # A new trigger after the digest opens a new item for tomorrow's digest.
    await h.publish(alert("al-4", severity))
    assert (await h.ctx.store.alert("al-4")) is not None
    h.clock.set(datetime(2026, 3, 11, 13, 0, tzinfo=UTC))
    await h.fire()
    assert len([n for n in h.events(NotificationRequested) if n.category == "digest"]) == 2


async def test_a_p0_on_a_queued_p2_leaves_the_digest_and_pages(h: Harness) -> None:
    await h.start()
    await h.publish(alert("al-1", "P2"))
    await h.publish(alert("al-2", "P0"))
    await h.fire()
    assert h.paged() == [PRIMARY]
    assert h.pages()[0].variables["severity"] == "P0"
    h.clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    await h.fire()
    assert not [n for n in h.events(NotificationRequested) if n.category == "digest"]
    assert BACKUP in h.paged()
