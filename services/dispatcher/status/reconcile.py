"""Status reconciliation: sent messages that never got a final status are looked up at Twilio.

Twilio sends no callback for a message's initial status, does not retry a callback our gateway
could not take (down, Kafka away), and some carriers report late. Twilio's advice is to fetch
such messages (`GET /2010-04-01/Accounts/{AC}/Messages/{Sid}.json`). Every SID a send records is
put on the store's `unsettled` list in the same transaction; a final status takes it off. Once a
SID has waited `reconcile_after_seconds`, this loop fetches it: a final status is handed to the
status handler exactly as a callback would be (same event ids, so the callback arriving late
changes nothing); a message still on its way is looked up again after a wait as long as its age
(so the waits double), until `reconcile_give_up_hours`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from services.dispatcher.context import SOURCE, Context
from services.dispatcher.sender import SendFailed
from services.dispatcher.status.status import FINAL, on_status
from shared.events import SmsStatusReceived

log = logging.getLogger("mtm.dispatcher.reconcile")

BATCH = 100
PARALLEL = 10
"""Look-ups in flight at once (Twilio limits concurrent requests per account)."""


class Reconciler:
    """Looks up sent messages whose final status has not come, and settles them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._stopped = asyncio.Event()
        self._parallel = asyncio.Semaphore(PARALLEL)

    @property
    def lease(self) -> float:
        """How long a SID taken for a look-up stays ours (other processes skip it meanwhile)."""
        return max(30.0, 4 * self.ctx.settings.twilio_timeout_seconds)

    async def run_once(self) -> int:
        """Look up every SID due now; returns how many were looked up."""
        now = self.ctx.clock.now()
        total = 0
        while True:
            sids = await self.ctx.store.take_unsettled(now, limit=BATCH, lease_seconds=self.lease)
            await asyncio.gather(*(self._guarded(sid, now) for sid in sids))
            total += len(sids)
            if len(sids) < BATCH:
                return total

    async def run(self) -> None:
        """Loop until stop(); a failed round (Redis away) is tried again next round."""
        self._stopped.clear()
        every = self.ctx.settings.reconcile_every_seconds
        while not self._stopped.is_set():
            try:
                await self.run_once()
            except Exception as exc:
                log.warning(
                    "status reconciliation round failed", extra={"error_class": type(exc).__name__}
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=every)

    def stop(self) -> None:
        self._stopped.set()

    async def _guarded(self, sid: str, now: datetime) -> None:
        async with self._parallel:
            try:
                await self.check(sid, now)
            except Exception as exc:
                # Kafka or Redis away while settling: look again next round, not after the lease.
                log.warning(
                    "status look-up not settled; will retry",
                    extra={"message_sid": sid, "error_class": type(exc).__name__},
                )
                with contextlib.suppress(Exception):
                    await self._again(sid, now)

    async def check(self, sid: str, now: datetime) -> None:
        """Fetch one message and settle it if Twilio has its final status."""
        metrics = self.ctx.metrics.status_lookups
        try:
            found = await self.ctx.sender.fetch(sid)
        except SendFailed as exc:
            metrics.labels(outcome="error").inc()
            log.info(
                "status look-up failed; will retry",
                extra={"message_sid": sid, "http_status": exc.http_status, "error_code": exc.code},
            )
            await self._again(sid, now)
            return
        if found is None:
            metrics.labels(outcome="unknown").inc()
            log.warning(
                "sent message unknown to Twilio; not looked up again", extra={"message_sid": sid}
            )
            await self.ctx.store.settle(sid)
            return
        if found.status in FINAL:
            metrics.labels(outcome="final").inc()
            log.info(
                "final status found by look-up",
                extra={"message_sid": sid, "status": found.status, "error_code": found.error_code},
            )
            event = SmsStatusReceived(
                message_sid=sid,
                status=found.status,
                error_code=found.error_code,
                received_at=now,
                source=SOURCE,
            )
            await on_status(self.ctx, event)
            await self.ctx.store.settle(sid)
            return
        metrics.labels(outcome="pending").inc()
        since = await self.ctx.store.unsettled_since(sid) or now
        s = self.ctx.settings
        if now - since >= timedelta(hours=s.reconcile_give_up_hours):
            log.warning(
                "no final status in time; not looked up again",
                extra={"message_sid": sid, "status": found.status},
            )
            await self.ctx.store.settle(sid)
            return
        wait = max(timedelta(seconds=s.reconcile_after_seconds), now - since)
        await self.ctx.store.recheck_unsettled(sid, now + wait)

    async def _again(self, sid: str, now: datetime) -> None:
        every = timedelta(seconds=self.ctx.settings.reconcile_every_seconds)
        await self.ctx.store.recheck_unsettled(sid, now + every)
