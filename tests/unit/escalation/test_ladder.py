"""The ladder through the handlers: pages in order, ACK, undelivered pages, resolve."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

import pytest

from shared.events import (
    AlertAcknowledged,
    AlertEscalated,
    AlertPaged,
    AlertResolved,
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    NotificationSuppressed,
)
from tests.unit.escalation.conftest import BACKUP, DIRECTOR, PRIMARY, Harness, alert

MIN = 60


async def test_a_p0_pages_the_primary_then_the_backup_then_the_director_then_repeats(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    assert h.paged() == [PRIMARY]
    page = h.pages()[0]
    code = page.variables["code"]
    assert page.variables == {"severity": "P0", "code": code, "site": "Austin"}
    assert (page.priority, page.category, page.recipient.kind) == (
        "urgent",
        "clinician_page",
        "clinician",
    )
    assert (page.reply_context.kind, page.reply_context.ref) == ("page", code)
    assert page.patient_id is None  # minimum necessary: the page names no patient
    assert len(code) == 4 and code.isdigit()
    await h.advance(15 * MIN - 1)
    assert h.paged() == [PRIMARY]
    await h.advance(1)
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(15 * MIN)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    await h.advance(5 * MIN)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR, PRIMARY, BACKUP, DIRECTOR]
    audit = [(e.step, e.clinician_id, e.role) for e in h.mine(AlertPaged)]
    assert audit == [
        (0, PRIMARY, "primary"),
        (1, BACKUP, "backup"),
        (2, DIRECTOR, "director"),
        (3, PRIMARY, "repeat"),
        (3, BACKUP, "repeat"),
        (3, DIRECTOR, "repeat"),
    ]
    escalations = [(e.from_step, e.to_step, e.reason) for e in h.mine(AlertEscalated)]
    assert escalations == [(0, 1, "no_ack"), (1, 2, "no_ack"), (2, 3, "no_ack")]
    assert {e.code for e in h.mine(AlertPaged)} == {code}
    assert len({n.notification_id for n in h.pages()}) == 6


async def test_an_ack_from_the_paged_backup_stops_the_ladder_and_tells_the_others(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    await h.advance(15 * MIN)
    code = h.pages()[0].variables["code"]
    await h.ack(code, BACKUP, message_sid="SM" + "1" * 32)
    [confirmed] = h.mine(AlertAcknowledged)
    assert (confirmed.alert_id, confirmed.code, confirmed.clinician_id) == ("al-1", code, BACKUP)
    assert confirmed.message_sid == "SM" + "1" * 32
    notices = [n for n in h.events(NotificationRequested) if n.template_id == "clinician_notice"]
    assert [(n.recipient.id, n.variables) for n in notices] == [
        (PRIMARY, {"code": code, "site": "Austin"})
    ]
    await h.advance(60 * MIN - 1)
    assert h.paged() == [PRIMARY, BACKUP]
    # The ladder's timer is now the resolve-by check (test_unresolved.py), an hour after the ACK.
    assert await h.ctx.alert_timers.get("al-1") == (
        h.clock.now() + timedelta(seconds=1),
        {"unresolved": 2},
    )
    # The dispatcher reading it again (a redelivery) changes nothing and confirms nothing twice.
    await h.ack(code, BACKUP)
    assert len(h.mine(AlertAcknowledged)) == 1


async def test_an_ack_from_anyone_not_paged_changes_nothing(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    code = h.pages()[0].variables["code"]
    with caplog.at_level(logging.INFO, logger="mtm.escalation"):
        await h.ack(code, "c-stranger")
        await h.ack(code, DIRECTOR)  # on the roster, but not paged yet
        await h.ack("9999" if code != "9999" else "8888", PRIMARY)  # a code nobody holds
        await h.ack(code, PRIMARY, alert_id="al-other")  # the code of another alert
    assert h.mine(AlertAcknowledged) == []
    refusals = [r for r in caplog.records if r.getMessage() == "ack refused"]
    # `reason` and `security` come from the log call's `extra`: not LogRecord attributes.
    assert [vars(r)["reason"] for r in refusals] == [
        "not_paged",
        "not_paged",
        "unknown_code",
        "unknown_code",
    ]
    assert all(vars(r)["security"] for r in refusals)
    await h.advance(15 * MIN)
    assert h.paged() == [PRIMARY, BACKUP]


async def test_our_own_confirmation_on_the_topic_is_never_acted_on(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    code = h.pages()[0].variables["code"]
    await h.publish(
        AlertAcknowledged(code=code, clinician_id=PRIMARY, alert_id="al-1", source="escalation")
    )
    await h.advance(15 * MIN)
    assert h.paged() == [PRIMARY, BACKUP]


async def test_an_undelivered_page_escalates_at_once(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    first = h.pages()[0]
    await h.publish(
        NotificationFailed(
            notification_id=first.notification_id,
            recipient=first.recipient,
            category="clinician_page",
            error_code=30003,
            stage="delivery",
            source="dispatcher",
        )
    )
    await h.fire()
    assert h.paged() == [PRIMARY, BACKUP]  # no time has passed
    assert [(e.from_step, e.to_step, e.reason) for e in h.mine(AlertEscalated)] == [
        (0, 1, "undelivered")
    ]
    assert [(e.step, e.delivery) for e in h.mine(AlertPaged)] == [
        (0, "requested"),
        (0, "failed"),
        (1, "requested"),
    ]
    # The backup's page was delivered: audited, and the ladder waits its full 15 minutes.
    second = h.pages()[1]
    await h.publish(
        NotificationDelivered(
            notification_id=second.notification_id,
            message_sid="SM" + "2" * 32,
            recipient=second.recipient,
            category="clinician_page",
            source="dispatcher",
        )
    )
    await h.advance(15 * MIN - 1)
    assert h.paged() == [PRIMARY, BACKUP]
    await h.advance(1)
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]
    assert (1, "delivered") in [(e.step, e.delivery) for e in h.mine(AlertPaged)]


async def test_a_suppressed_page_escalates_but_a_late_failure_of_an_old_step_does_not(
    h: Harness,
) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    await h.advance(15 * MIN)
    first, second = h.pages()
    await h.publish(
        NotificationFailed(
            notification_id=first.notification_id,
            recipient=first.recipient,
            category="clinician_page",
        )
    )
    await h.fire()
    assert h.paged() == [PRIMARY, BACKUP]
    await h.publish(
        NotificationSuppressed(
            notification_id=second.notification_id,
            recipient=second.recipient,
            category="clinician_page",
            reason="unknown_recipient",
        )
    )
    await h.fire()
    assert h.paged() == [PRIMARY, BACKUP, DIRECTOR]


async def test_resolve_closes_the_alert_and_a_new_trigger_opens_a_new_one(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    code = h.pages()[0].variables["code"]
    await h.publish(AlertResolved(code=code, clinician_id="c-stranger", source="dispatcher"))
    assert h.mine(AlertResolved) == []
    await h.publish(
        AlertResolved(
            code=code, clinician_id=PRIMARY, outcome="patient_reached", source="dispatcher"
        )
    )
    [closed] = h.mine(AlertResolved)
    assert (closed.alert_id, closed.outcome) == ("al-1", "patient_reached")
    await h.advance(60 * MIN)
    assert h.paged() == [PRIMARY]
    # A late ACK for the closed alert's code meets the closed alert, not a new one.
    await h.ack(code, PRIMARY)
    assert h.mine(AlertAcknowledged) == []
    await h.publish(alert("al-2"))
    await h.fire()
    assert h.paged() == [PRIMARY, PRIMARY]
    assert h.pages()[1].variables["code"] != code


async def test_ids_are_stable_so_a_republished_page_is_recognised(h: Harness) -> None:
    await h.start()
    await h.publish(alert())
    await h.fire()
    page = h.pages()[0]
    assert isinstance(page.notification_id, UUID)
    [audit] = h.mine(AlertPaged)
    assert audit.notification_id == str(page.notification_id)
    assert page.dedup_key == f"page:al-1:0:{PRIMARY}"
