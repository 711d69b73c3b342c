"""The background loop: retries outbox entries left behind and makes sure every open alert, every
acknowledged alert waiting for its outcome, and every waiting digest has its timer (after a
crash, or a timer that used up its attempts)."""

from __future__ import annotations

import asyncio
import logging

from services.escalation import reach_check
from services.escalation.deps import UNRESOLVED, Deps, alert_stream
from services.escalation.digest import digest_stream

log = logging.getLogger("mtm.escalation.upkeep")


class Upkeep:
    """Relay (every `relay_interval`) and reconcile (at start, then every `reconcile_interval`)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._stopped = asyncio.Event()

    async def reconcile(self) -> int:
        """Re-create missing timers; returns how many were re-created."""
        deps, store = self.deps, self.deps.store
        pending = set(await deps.outbox.pending_streams())
        fixed = 0
        for alert_id in await store.open_alert_ids():
            state = await store.alert(alert_id)
            if state is None:
                continue
            if state.status == "open" and state.next_due is not None:
                due, want = state.next_due, {"step": state.next_step}
            elif state.status == "acknowledged" and state.resolve_by is not None:
                due, want = state.resolve_by, {UNRESOLVED: state.next_step}  # resolve-by check
            else:
                continue
            if alert_stream(alert_id) in pending:
                continue  # its outbox still holds the timer to schedule
            _, payload = await deps.alert_timers.get(alert_id)
            if payload is None:
                await deps.alert_timers.schedule(alert_id, due, want)
                fixed += 1
                log.warning("alert timer re-created", extra={"alert_id": alert_id, **want})
        for site_id in await store.digest_sites():
            if digest_stream(site_id) in pending or not await store.digest_size(site_id):
                continue
            _, payload = await deps.digest_timers.get(site_id)
            if payload is None:
                roster = await store.roster(site_id)
                due = deps.next_digest(site_id, deps.clock.now(), roster.zone if roster else None)
                await deps.digest_timers.schedule(site_id, due, {})
                fixed += 1
                log.warning("digest timer re-created", extra={"site_id": site_id})
        return fixed

    async def run(self) -> None:
        """Loop until stop(); an unreachable Redis or Kafka only delays the next pass."""
        self._stopped.clear()
        config = self.deps.config
        loop = asyncio.get_running_loop()
        next_reconcile = loop.time()
        while not self._stopped.is_set():
            try:
                if loop.time() >= next_reconcile:
                    await self.reconcile()
                    await reach_check.daily(self.deps, self.deps.clock.now())
                    next_reconcile = loop.time() + config.reconcile_interval_seconds
                await self.deps.outbox.flush_all()
            except Exception as exc:
                log.warning("upkeep pass failed", extra={"error_class": type(exc).__name__})
            try:
                await asyncio.wait_for(self._stopped.wait(), config.relay_interval_seconds)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopped.set()
