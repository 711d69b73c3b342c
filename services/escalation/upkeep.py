"""The background loop: retries outbox entries left behind and makes sure every open alert, every
acknowledged alert waiting for its outcome, and every waiting digest has its timer (after a
crash, or a timer that used up its attempts)."""

from __future__ import annotations

import asyncio
import logging

from services.escalation import outbox as ob
from services.escalation import reach_check
from services.escalation.context import Context
from services.escalation.timers import DigestDue, LadderStep, ResolveCheck

log = logging.getLogger("mtm.escalation.upkeep")


class Upkeep:
    """Relay (every `relay_interval`) and reconcile (at start, then every `reconcile_interval`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._stopped = asyncio.Event()

    async def reconcile(self) -> int:
        """Re-create missing timers; returns how many were re-created."""
        ctx, store = self.ctx, self.ctx.store
        pending = set(await ctx.outbox.pending_streams())
        fixed = 0
        for alert_id in await store.open_alert_ids():
            state = await store.alert(alert_id)
            if state is None:
                continue
            want: LadderStep | ResolveCheck
            if state.status == "open" and state.next_due is not None:
                due, want = state.next_due, LadderStep(alert_id, state.next_step)
            elif state.status == "acknowledged" and state.resolve_by is not None:
                due, want = state.resolve_by, ResolveCheck(alert_id, state.next_step)
            else:
                continue
            if ob.alert_stream(alert_id) in pending:
                continue  # its outbox still holds the timer to schedule
            _, payload = await ctx.alert_timers.get(alert_id)
            if payload is None:
                await ctx.alert_timers.schedule(want.key, due, want.payload)
                fixed += 1
                log.warning("alert timer re-created", extra={"alert_id": alert_id, **want.payload})
        for site_id in await store.digest_sites():
            if ob.digest_stream(site_id) in pending or not await store.digest_size(site_id):
                continue
            _, payload = await ctx.digest_timers.get(site_id)
            if payload is None:
                roster = await store.roster(site_id)
                due = ctx.next_digest(site_id, ctx.clock.now(), roster.zone if roster else None)
                digest = DigestDue(site_id)
                await ctx.digest_timers.schedule(digest.key, due, digest.payload)
                fixed += 1
                log.warning("digest timer re-created", extra={"site_id": site_id})
        return fixed

    async def run(self) -> None:
        """Loop until stop(); an unreachable Redis or Kafka only delays the next pass."""
        self._stopped.clear()
        ctx = self.ctx
        loop = asyncio.get_running_loop()
        next_reconcile = loop.time()
        while not self._stopped.is_set():
            try:
                if loop.time() >= next_reconcile:
                    await self.reconcile()
                    await reach_check.daily(ctx, ctx.clock.now())
                    next_reconcile = loop.time() + ctx.config.reconcile_interval_seconds
                await ctx.outbox.flush_all()
            except Exception as exc:
                log.warning("upkeep pass failed", extra={"error_class": type(exc).__name__})
            try:
                await asyncio.wait_for(self._stopped.wait(), ctx.config.relay_interval_seconds)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopped.set()
