"""Delivery callbacks matched by SID; the one 30003 retry; permanent carrier errors."""

from __future__ import annotations

from datetime import timedelta

from shared.events import (
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
    SmsStatusReceived,
)
from tests.unit.dispatcher.conftest import Harness, request


async def status(h: Harness, sid: str, state: str, code: int | None = None) -> None:
    await h.publish(
        SmsStatusReceived(message_sid=sid, status=state, error_code=code, received_at=h.clock.now())
    )


async def test_delivered(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    await harness.publish(req)
    sid = harness.sms.sent[0]["sid"]
    await status(harness, sid, "sent")
    await status(harness, sid, "delivered")
    await status(harness, sid, "delivered")  # a duplicate callback
    delivered = harness.events(NotificationDelivered)
    assert {e.notification_id for e in delivered} == {req.notification_id}
    assert len({e.event_id for e in delivered}) == 1


async def test_30003_is_retried_once_later(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    await harness.publish(req)
    await status(harness, harness.sms.sent[0]["sid"], "undelivered", 30003)
    [first] = harness.events(NotificationFailed)
    assert (first.error_code, first.permanent, first.stage) == (30003, False, "delivery")
    harness.clock.advance(timedelta(minutes=29))
    assert await harness.fire_timers() == 0
    harness.clock.advance(timedelta(minutes=2))
    assert await harness.fire_timers() == 1
    assert len(harness.sms.sent) == 2
    sent = harness.events(NotificationSent)
    assert [e.notification_id for e in sent] == [req.notification_id] * 2
    await status(harness, harness.sms.sent[1]["sid"], "undelivered", 30003)
    last = harness.events(NotificationFailed)[-1]
    assert (last.error_code, last.permanent) == (30003, True)
    harness.clock.advance(timedelta(hours=2))
    await harness.fire_timers()
    assert len(harness.sms.sent) == 2


async def test_30005_and_30006_are_permanent_and_mark_the_number(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await status(harness, harness.sms.sent[0]["sid"], "undelivered", 30006)
    [failed] = harness.events(NotificationFailed)
    assert failed.permanent and failed.error_code == 30006
    await harness.publish(request())
    assert harness.events(NotificationSuppressed)[-1].reason == "invalid_number"


async def test_a_callback_before_the_sid_is_recorded_is_looked_at_again(harness: Harness) -> None:
    await harness.enroll()
    early_sid = "SM" + "b" * 32
    await status(harness, early_sid, "delivered")
    assert harness.events(NotificationDelivered) == []
    # The send's record lands (as if the send finished after the callback arrived).
    req = request()
    await harness.publish(req)
    info = await harness.ctx.store.sid_info(harness.sms.sent[0]["sid"])
    assert info is not None
    await harness.redis.set(
        f"unit:dispatcher:sid:{early_sid}",
        (await harness.redis.get(f"unit:dispatcher:sid:{harness.sms.sent[0]['sid']}")),
    )
    harness.clock.advance(30)
    await harness.fire_timers()
    assert [e.message_sid for e in harness.events(NotificationDelivered)] == [early_sid]
