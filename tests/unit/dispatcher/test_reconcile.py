"""Status reconciliation: a sent message whose callback never came is looked up at Twilio."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from services.dispatcher.sender import Outbound, Status, TwilioSms
from services.dispatcher.settings import DispatcherSettings
from services.dispatcher.status.reconcile import Reconciler
from shared.events import NotificationDelivered, NotificationFailed, SmsStatusReceived
from tests.kafka_tools import eventually
from tests.unit.dispatcher.conftest import Harness, make_settings, request

AFTER = 600.0
EVERY = 30.0


@pytest.fixture
def settings() -> DispatcherSettings:
    return make_settings(reconcile_after_seconds=AFTER, reconcile_every_seconds=EVERY)


def reconciler(h: Harness) -> Reconciler:
    return Reconciler(h.ctx)


async def sent(h: Harness) -> str:
    """Enrol p-1, send one dose reminder; the SID Twilio gave it."""
    await h.enroll()
    await h.publish(request())
    [sms] = h.sms.sent
    return str(sms["sid"])


async def callback(h: Harness, sid: str, state: str, code: int | None = None) -> None:
    await h.publish(
        SmsStatusReceived(message_sid=sid, status=state, error_code=code, received_at=h.clock.now())
    )


async def test_a_lost_callback_is_found_by_looking_the_message_up(harness: Harness) -> None:
    sid = await sent(harness)
    harness.sms.statuses[sid] = Status(sid=sid, status="delivered")
    rec = reconciler(harness)
    harness.clock.advance(AFTER - 1)
    assert await rec.run_once() == 0  # not due yet: the callback may still come
    harness.clock.advance(1)
    assert await rec.run_once() == 1
    [delivered] = harness.events(NotificationDelivered)
    assert delivered.message_sid == sid
    assert await harness.ctx.store.unsettled() == 0
    # The real callback, late: the same event again (same event_id), so consumers drop it.
    await callback(harness, sid, "delivered")
    assert len({e.event_id for e in harness.events(NotificationDelivered)}) == 1
    harness.clock.advance(timedelta(hours=1))
    assert await rec.run_once() == 0


async def test_a_message_whose_callback_came_is_never_looked_up(harness: Harness) -> None:
    sid = await sent(harness)
    await callback(harness, sid, "sent")
    assert await harness.ctx.store.unsettled() == 1  # "sent" is not final
    await callback(harness, sid, "delivered")
    assert await harness.ctx.store.unsettled() == 0
    harness.clock.advance(timedelta(hours=2))
    assert await reconciler(harness).run_once() == 0
    assert harness.sms.fetches == 0


async def test_a_message_still_on_its_way_is_looked_up_again_later_then_given_up(
    harness: Harness,
) -> None:
    await sent(harness)  # FakeSms answers "sent" for it
    rec = reconciler(harness)
    harness.clock.advance(AFTER)
    assert await rec.run_once() == 1
    harness.clock.advance(AFTER - 1)
    assert await rec.run_once() == 0  # the next look-up waits as long as the message's age
    harness.clock.advance(1)
    assert await rec.run_once() == 1
    harness.clock.advance(2 * AFTER - 1)
    assert await rec.run_once() == 0  # ... so the waits double
    harness.clock.advance(1)
    assert await rec.run_once() == 1
    assert harness.events(NotificationDelivered) == []
    harness.clock.advance(timedelta(hours=80))
    assert await rec.run_once() == 1
    assert await harness.ctx.store.unsettled() == 0  # past 72 h: left as it is
    harness.clock.advance(timedelta(days=10))
    assert await rec.run_once() == 0
    assert harness.sms.fetches == 4


async def test_twilio_unavailable_means_try_again_next_round(harness: Harness) -> None:
    sid = await sent(harness)
    harness.sms.statuses[sid] = Status(sid=sid, status="delivered")
    harness.sms.fetch_fails = 1
    rec = reconciler(harness)
    harness.clock.advance(AFTER)
    assert await rec.run_once() == 1
    assert harness.events(NotificationDelivered) == []
    harness.clock.advance(EVERY)
    assert await rec.run_once() == 1
    assert [e.message_sid for e in harness.events(NotificationDelivered)] == [sid]


async def test_an_undelivered_30003_found_by_look_up_is_retried_once_like_a_callback(
    harness: Harness,
) -> None:
    sid = await sent(harness)
    harness.sms.statuses[sid] = Status(sid=sid, status="undelivered", error_code=30003)
    harness.clock.advance(AFTER)
    assert await reconciler(harness).run_once() == 1
    [failed] = harness.events(NotificationFailed)
    assert (failed.message_sid, failed.error_code, failed.permanent) == (sid, 30003, False)
    harness.clock.advance(timedelta(minutes=31))
    assert await harness.fire_timers() == 1
    assert len(harness.sms.sent) == 2  # the one retry, as after a callback


async def test_a_message_twilio_does_not_know_is_dropped_without_an_outcome(
    harness: Harness,
) -> None:
    await sent(harness)
    harness.sms.sent.clear()  # Twilio answers 404 for it
    harness.clock.advance(AFTER)
    rec = reconciler(harness)
    assert await rec.run_once() == 1
    assert harness.events(NotificationDelivered) == harness.events(NotificationFailed) == []
    assert await harness.ctx.store.unsettled() == 0


async def test_two_processes_never_look_the_same_message_up_at_once(harness: Harness) -> None:
    await sent(harness)
    harness.clock.advance(AFTER)
    store = harness.ctx.store
    now = harness.clock.now()
    first = await store.take_unsettled(now, limit=10, lease_seconds=60)
    assert len(first) == 1
    assert await store.take_unsettled(now, limit=10, lease_seconds=60) == []
    # The first one died holding it: after the lease it is due again.
    later = now + timedelta(seconds=61)
    assert await store.take_unsettled(later, limit=10, lease_seconds=60) == first


async def test_the_twilio_adapter_fetches_a_message_from_the_fake_twilio() -> None:
    with FakeTwilio(callback_delay_ms=10) as fake:
        fake.set_faults(undelivered_by_number={"+15125550177": 30003})
        sms = TwilioSms(
            account_sid=DEFAULT_ACCOUNT_SID,
            auth_token=DEFAULT_AUTH_TOKEN,
            base_url=fake.base_url,
            timeout_seconds=5,
        )
        await sms.start()
        try:
            ok = await sms.send(Outbound(to="+15125550143", body="hi", from_number="+15125550100"))
            bad = await sms.send(Outbound(to="+15125550177", body="hi", from_number="+15125550100"))

            async def final() -> bool:
                a, b = await sms.fetch(ok.sid), await sms.fetch(bad.sid)
                return bool(a and b and a.status == "delivered" and b.status == "undelivered")

            await eventually(final, timeout=10, message="both messages final at the fake")
            assert await sms.fetch(bad.sid) == Status(bad.sid, "undelivered", 30003)
            assert await sms.fetch("SM" + "0" * 32) is None
        finally:
            await sms.close()
