"""Acknowledged is not resolved (domain 8.2 step 4): the resolve-by check through the handlers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.escalation.handlers import on_timer as fire
from services.escalation.timers import ALERT_TIMERS
from services.escalation.upkeep import Upkeep
from shared.events import (
    AlertAcknowledged,
    AlertEscalated,
    AlertPaged,
    AlertResolved,
    NotificationRequested,
    OperationalWarning,
)
from shared.idempotency import ClaimBusy
from shared.timers import Timer
from tests.unit.escalation.conftest import BACKUP, DIRECTOR, PRIMARY, Harness, alert
from tests.unit.escalation.test_durability import break_publishing

MIN = 60


def reminders(h: Harness) -> list[NotificationRequested]:
    return [
        n for n in h.events(NotificationRequested) if n.template_id == "clinician_resolve_reminder"
    ]


def notices(h: Harness) -> list[str]:
    return [
        n.recipient.id
        for n in h.events(NotificationRequested)
        if n.template_id == "clinician_notice"
    ]


async def acked_by_primary(h: Harness, severity: str = "P0") -> str:
    """An alert paged to the primary, acknowledged by them a minute later; its code."""
    await h.start()
    await h.publish(alert(severity=severity))
    await h.fire()
    code: str = h.pages()[0].variables["code"]
    await h.advance(1 * MIN)
    await h.ack(code, PRIMARY)
    return code


async def resolve(h: Harness, code: str, clinician_id: str = PRIMARY, **extra: Any) -> None:
    await h.publish(
        AlertResolved(code=code, clinician_id=clinician_id, source="dispatcher", **extra)
    )


async def test_unresolved_an_hour_after_the_ack_reminds_the_acknowledger_and_pages_the_backup(
    h: Harness,
) -> None:
    code = await acked_by_primary(h)
    await h.advance(60 * MIN - 1)
    assert (h.paged(), reminders(h)) == ([PRIMARY], [])
    await h.advance(1)
    [reminder] = reminders(h)
    assert reminder.recipient.id == PRIMARY
    assert reminder.variables == {"severity": "P0", "code": code, "site": "Austin"}
    assert (reminder.category, reminder.priority, reminder.patient_id) == (
        "clinician_page",
        "urgent",
        None,  # minimum necessary: no patient
    )
    # The reply RESOLVE 4821 is read against this alert.
    assert (reminder.reply_context.kind, reminder.reply_context.ref) == ("page", code)
    assert reminder.reply_context.extra == {"alert_id": "al-1"}
    assert h.paged() == [PRIMARY, BACKUP]
    assert [(e.from_step, e.to_step, e.reason) for e in h.mine(AlertEscalated)] == [
        (0, 1, "unresolved")
    ]
    assert [(e.step, e.clinician_id, e.role) for e in h.mine(AlertPaged)] == [
        (0, PRIMARY, "primary"),
        (1, PRIMARY, "reminder"),
        (1, BACKUP, "backup"),
    ]
    state = await h.ctx.store.alert("al-1")
    assert state is not None
    assert (state.status, state.acknowledged_by, state.reminders) == ("acknowledged", PRIMARY, 1)
    # Every hour again, one rung higher, the director once past the top; the third is the last.
    await h.advance(60 * MIN)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert h.mine(OperationalWarning) == []
    await h.advance(60 * MIN)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR, DIRECTOR]
    assert [r.recipient.id for r in reminders(h)] == [PRIMARY] * 3
    [warning] = h.mine(OperationalWarning)
    assert (warning.warning, warning.site_id, warning.correlation_id) == (
        "alert_unresolved",
        "austin",
        "al-1",
    )
    assert code in warning.detail and "p-1" not in warning.detail
    assert await h.ctx.alert_timers.pending() == 0
    await h.advance(5 * 60 * MIN)
    assert len(reminders(h)) == 3 and len(h.pages()) == 4
    assert [(e.from_step, e.to_step) for e in h.mine(AlertEscalated)] == [(0, 1), (1, 2), (2, 3)]
    assert len({n.notification_id for n in h.events(NotificationRequested)}) == len(
        h.events(NotificationRequested)
    )
    # The alert is still acknowledged: a RESOLVE (from the director, paged since) closes it.
    await resolve(h, code, DIRECTOR)
    assert [e.clinician_id for e in h.mine(AlertResolved)] == [DIRECTOR]


async def test_resolve_after_the_re_escalation_stops_it_and_stands_the_backup_down(
    h: Harness,
) -> None:
    code = await acked_by_primary(h)
    await h.advance(60 * MIN)
    assert h.paged() == [PRIMARY, BACKUP]
    await resolve(h, code, outcome="patient_reached")
    [closed] = h.mine(AlertResolved)
    assert (closed.alert_id, closed.clinician_id, closed.outcome) == (
        "al-1",
        PRIMARY,
        "patient_reached",
    )
    assert notices(h) == [BACKUP]
    assert await h.ctx.alert_timers.pending() == 0
    await h.advance(6 * 60 * MIN)
    assert (h.paged(), len(reminders(h))) == ([PRIMARY, BACKUP], 1)
    state = await h.ctx.store.alert("al-1")
    assert state is not None and (state.status, state.resolve_by) == ("resolved", None)
    await resolve(h, code)  # redelivered: nothing more
    assert len(h.mine(AlertResolved)) == 1 and notices(h) == [BACKUP]


async def test_the_backup_paged_by_the_re_escalation_can_take_the_alert_over(
    h: Harness,
) -> None:
    code = await acked_by_primary(h)
    await h.advance(60 * MIN)
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(5 * MIN)
    await h.ack(code, BACKUP)
    first, taken = h.mine(AlertAcknowledged)
    assert (first.clinician_id, taken.clinician_id) == (PRIMARY, BACKUP)
    assert first.event_id != taken.event_id  # an event of its own, not a replay
    state = await h.ctx.store.alert("al-1")
    assert state is not None
    assert (state.status, state.acknowledged_by, state.reminders) == ("acknowledged", BACKUP, 0)
    assert notices(h) == [PRIMARY]  # the first acknowledger may stand down
    # The ladder stays stopped, and the backup now has the full hour to resolve it.
    await h.advance(60 * MIN - 1)
    assert (h.paged(), len(reminders(h))) == ([PRIMARY, BACKUP], 1)
    await h.advance(1)
    assert [r.recipient.id for r in reminders(h)] == [PRIMARY, BACKUP]
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    await h.ack(code, BACKUP)  # redelivered: a duplicate, nothing more
    assert len(h.mine(AlertAcknowledged)) == 2
    await resolve(h, code, BACKUP)
    assert [e.clinician_id for e in h.mine(AlertResolved)] == [BACKUP]


async def test_resolve_in_time_means_no_reminder(h: Harness) -> None:
    code = await acked_by_primary(h)
    await h.advance(59 * MIN)
    await resolve(h, code)
    assert await h.ctx.alert_timers.pending() == 0
    await h.advance(3 * 60 * MIN)
    assert (h.paged(), reminders(h), h.mine(AlertEscalated)) == ([PRIMARY], [], [])
    # A resolve-by check that fires anyway (a timer already in flight) finds it resolved.
    stale = Timer(key="al-1", payload={"unresolved": 1}, generation=0, attempt=1)
    await fire(h.ctx, ALERT_TIMERS, stale)
    assert (h.paged(), reminders(h)) == ([PRIMARY], [])


async def test_a_p1_has_four_hours(h: Harness) -> None:
    await acked_by_primary(h, "P1")
    await h.advance(4 * 60 * MIN - 1)
    assert reminders(h) == []
    await h.advance(1)
    assert [r.variables["severity"] for r in reminders(h)] == ["P1"]
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(4 * 60 * MIN)  # the second and last: the director, and a warning
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert [w.warning for w in h.mine(OperationalWarning)] == ["alert_unresolved"]


async def test_the_director_acknowledging_gets_the_reminder_and_nobody_else_is_paged(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    await h.advance(15 * MIN)
    await h.advance(15 * MIN)
    code = h.pages()[0].variables["code"]
    await h.ack(code, DIRECTOR)
    await h.advance(60 * MIN)
    assert [r.recipient.id for r in reminders(h)] == [DIRECTOR]
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert [e.reason for e in h.mine(AlertEscalated)] == ["no_ack", "no_ack", "unresolved"]


@pytest.mark.parametrize(
    "settings",
    [{"ladders": {"P0": {"resolve_within_seconds": None}}}],
    indirect=True,
)
async def test_without_a_deadline_an_ack_only_stops_the_ladder(h: Harness) -> None:
    await acked_by_primary(h)
    assert await h.ctx.alert_timers.pending() == 0
    await h.advance(24 * 60 * MIN)
    assert (h.paged(), reminders(h)) == ([PRIMARY], [])


async def test_a_crash_after_the_commit_reminds_and_pages_exactly_once(h: Harness) -> None:
    await acked_by_primary(h)
    break_publishing(h, 1)
    await h.advance(60 * MIN)  # committed; the outbox failed at its first entry
    assert (h.paged(), reminders(h)) == ([PRIMARY], [])
    await h.advance(1)  # the timer is retried: it finds the step done and flushes the outbox
    assert h.paged() == [PRIMARY, BACKUP]
    assert [r.recipient.id for r in reminders(h)] == [PRIMARY]
    assert len(h.mine(AlertEscalated)) == 1
    await h.advance(60 * MIN - 1)  # the next check counts from the committed step
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]


async def test_two_workers_firing_the_same_check_remind_once(h: Harness) -> None:
    await acked_by_primary(h)
    h.clock.advance(60 * MIN)
    timer = Timer(key="al-1", payload={"unresolved": 1}, generation=0, attempt=1)
    results = await asyncio.gather(
        *(fire(h.ctx, ALERT_TIMERS, timer) for _ in range(4)), return_exceptions=True
    )
    assert all(r is None or isinstance(r, ClaimBusy) for r in results)
    assert (h.paged(), len(reminders(h))) == ([PRIMARY, BACKUP], 1)


async def test_a_lost_resolve_by_timer_is_recreated_by_the_upkeep(h: Harness) -> None:
    await acked_by_primary(h)
    await h.ctx.alert_timers.cancel("al-1")
    assert await Upkeep(h.ctx).reconcile() == 1
    assert await Upkeep(h.ctx).reconcile() == 0
    await h.advance(60 * MIN)
    assert (h.paged(), len(reminders(h))) == ([PRIMARY, BACKUP], 1)


async def test_a_more_urgent_repeat_on_an_acknowledged_alert_runs_the_new_ladder_instead(
    h: Harness,
) -> None:
    await acked_by_primary(h, "P1")
    await h.publish(alert("al-2", "P0"))  # upgraded: paged again at once, no resolve-by pending
    await h.fire()
    state = await h.ctx.store.alert("al-1")
    assert state is not None and (state.status, state.resolve_by) == ("open", None)
    code = h.pages()[0].variables["code"]
    await h.ack(code, PRIMARY)  # the P0 deadline: an hour from this ACK
    await h.advance(60 * MIN)
    assert [r.variables["severity"] for r in reminders(h)] == ["P0"]
