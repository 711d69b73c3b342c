"""The send lease: renewed while a worker lives, and a worker that lost it records nothing."""

from __future__ import annotations

import asyncio

from demo.fake_sms import FakeSms
from services.dispatcher.sender import Accepted, Outbound
from shared.events import NotificationSent
from tests.unit.dispatcher.conftest import Harness, request


async def test_a_live_worker_keeps_its_lease(harness: Harness) -> None:
    store = harness.ctx.store
    await store.claim("n-1", lease_seconds=0.3)
    async with store.lease("n-1", lease_seconds=0.3):
        await asyncio.sleep(0.5)  # longer than the lease: only renewal keeps it
        assert await harness.redis.exists("unit:dispatcher:claim:send:n-1")
    await store.claim("n-2", lease_seconds=0.3)
    await asyncio.sleep(0.5)
    assert not await harness.redis.exists("unit:dispatcher:claim:send:n-2")


class StolenDuringSend(FakeSms):
    """Twilio accepts, but meanwhile our lease lapsed and another worker took the send."""

    def __init__(self, harness: Harness) -> None:
        super().__init__()
        self.harness = harness

    async def send(self, message: Outbound) -> Accepted:
        accepted = await super().send(message)
        keys = await self.harness.redis.keys("unit:dispatcher:claim:send:*")
        for key in keys:
            await self.harness.redis.set(key, "pending:another-worker")
        return accepted


async def test_a_worker_that_lost_its_lease_records_nothing(harness: Harness) -> None:
    await harness.enroll()
    sms = StolenDuringSend(harness)
    harness.ctx.sender = sms
    req = request()
    await harness.publish(req)
    assert len(sms.sent) == 1
    assert harness.events(NotificationSent) == []  # the new holder announces it
    nid = str(req.notification_id)
    assert await harness.ctx.store.attempt(nid) is not None  # ...after finding it
    assert await harness.ctx.store.sid_info(sms.sent[0]["sid"]) is None
