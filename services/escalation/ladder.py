"""Firing an alert's next step: page whom the ladder says, audit it, schedule the step after.

One durable timer per alert (key = alert id, payload = the step it is due to fire; after an
ACK the same timer is the alert's resolve-by check, see unresolved.py). Firing
step N claims `alert:<id>:step:<N>`, then in one transaction records the step in the alert's
state, completes the claim and queues the pages, the audit events and the next timer in the
outbox. A worker that dies before the commit leaves the timer leased: it fires again after the
lease and does step N then. A worker that dies after it leaves step N recorded: the re-fired
timer finds the alert past N and only flushes what the outbox still holds. No step is skipped
and none is paged twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio.client import Pipeline

from services.escalation import outbox as ob
from services.escalation.deps import ALERT_TIMERS, Deps, alert_stream
from services.escalation.model import AlertState, Page
from services.escalation.rules import messages as msg
from services.escalation.rules.policy import Step, repeat_targets, resolve, wait_before
from shared.idempotency import ClaimState
from shared.timers import Timer

log = logging.getLogger("mtm.escalation.ladder")


class StepBusy(RuntimeError):
    """Another worker holds step N (or died holding it); the timer is retried later."""


def _firable(state: AlertState | None, step: int) -> bool:
    return state is not None and state.status == "open" and state.next_step == step


async def fire_step(deps: Deps, timer: Timer) -> None:
    """Fire ladder step `payload.step` (`unresolved.fire_alert_timer` routes the other kind)."""
    alert_id, step = timer.key, int(timer.payload["step"])
    if not _firable(await deps.store.alert(alert_id), step):
        await deps.outbox.flush(alert_stream(alert_id))
        return
    name = f"alert:{alert_id}:step:{step}"
    fired = await claimed_commit(
        deps, alert_id, name, lambda pipe: _commit(deps, pipe, alert_id, step, name)
    )
    if fired is not None:
        log.info("step fired", extra=fired)
        if fired["next_due"] is None:
            log.warning("ladder exhausted; alert stays open", extra={"alert_id": alert_id})


async def claimed_commit(
    deps: Deps,
    alert_id: str,
    name: str,
    commit: Callable[[Pipeline], Awaitable[dict[str, Any] | None]],
) -> dict[str, Any] | None:
    """Claim `name`, run `commit` in one Redis transaction, flush the alert's outbox. The claim
    is released when the commit changed nothing or failed; a claim already done means another
    worker committed it (only the outbox is flushed); one in progress raises StepBusy."""
    claim = await deps.claims.claim(name, lease_seconds=deps.config.step_claim_seconds)
    if claim.state is ClaimState.IN_PROGRESS:
        raise StepBusy(name)
    fired = None
    if claim.state is not ClaimState.DONE:
        try:
            fired = await deps.store.transact(commit)
        except Exception:
            await deps.claims.release(name)
            raise
        if fired is None:
            await deps.claims.release(name)
    await deps.outbox.flush(alert_stream(alert_id))
    return fired


def page_ops_for(
    deps: Deps,
    state: AlertState,
    step: int,
    clinician_id: str,
    role: str,
    now: datetime,
    *,
    reminder: bool = False,
) -> tuple[Page, list[ob.Op]]:
    """A page of step `step` (or an unresolved reminder to the acknowledger) and its audit."""
    assert state.code is not None  # an open or acknowledged alert always has its code
    request = (msg.reminder_request if reminder else msg.page_request)(
        alert_id=state.alert_id,
        site_id=state.site_id,
        code=state.code,
        severity=state.severity,
        site_name=deps.config.site_name(state.site_id),
        step=step,
        clinician_id=clinician_id,
        now=now,
    )
    page = Page(
        step=step,
        clinician_id=clinician_id,
        notification_id=str(request.notification_id),
        role=role,
    )
    audit = msg.paged(
        alert_id=state.alert_id,
        patient_id=state.patient_id,
        site_id=state.site_id,
        code=state.code,
        step=step,
        clinician_id=clinician_id,
        role=role,
        notification_id=page.notification_id,
        severity=state.severity,
        now=now,
    )
    return page, [ob.publish(request), ob.publish(audit)]


async def page_targets(
    deps: Deps, state: AlertState, rung: Step | None, step: int, now: datetime
) -> tuple[list[tuple[str, str]], list[ob.Op]]:
    """Whom this step pages (clinician, role), and the operator warnings it raises."""
    if rung is None:
        return [], []
    site = await deps.store.roster(state.site_id)
    network = await deps.store.network_roster(deps.config.network_site)
    if rung.is_repeat:
        # Everyone paged so far, and whoever is on call now (a late roster, a shift hand-over).
        now_on_call = [
            resolve(t, site=site, network=network, at=now).clinician_id
            for t in state.ladder.targets
        ]
        everyone = repeat_targets([*state.paged_ids, *(c for c in now_on_call if c)])
        return [(cid, "repeat") for cid in everyone], []
    assert rung.target is not None
    found = resolve(rung.target, site=site, network=network, at=now)
    if not found.network_fallback and found.clinician_id:
        return [(found.clinician_id, found.role)], []
    detail = f"no {rung.target} on call for the site at step {step}; " + (
        "network on-call paged" if found.clinician_id else "nobody to page"
    )
    warning = ob.publish(
        msg.warning(
            kind="no_one_on_call",
            site_id=state.site_id,
            now=now,
            key=f"{state.alert_id}:{step}",
            detail=detail,
            correlation_id=state.alert_id,
        )
    )
    return ([(found.clinician_id, found.role)] if found.clinician_id else []), [warning]


async def _commit(
    deps: Deps, pipe: Pipeline, alert_id: str, step: int, claim: str
) -> dict[str, Any] | None:
    store, keys = deps.store, deps.store.keys
    await pipe.watch(keys.alert(alert_id))
    state = await store.alert(alert_id, via=pipe)
    if state is None or not _firable(state, step):
        return None
    assert state.code is not None  # an open alert always has its code
    now = deps.clock.now()
    plan = state.ladder
    rung = state.step_plan(step)
    ops: list[ob.Op] = []
    ids = {"alert_id": alert_id, "patient_id": state.patient_id, "site_id": state.site_id}
    if state.step >= 0 or state.next_reason == "severity_raised":
        ops.append(
            ob.publish(
                msg.escalated(
                    **ids,
                    from_step=max(state.step, 0),
                    to_step=step,
                    reason=state.next_reason,
                    now=now,
                )
            )
        )
    targets, warnings = await page_targets(deps, state, rung, step, now)
    ops.extend(warnings)
    pages = []
    for clinician_id, role in targets:
        page, page_ops = page_ops_for(deps, state, step, clinician_id, role, now)
        pages.append(page)
        ops.extend(page_ops)
    wait = wait_before(plan, step + 1 - state.base)
    if not targets and wait is not None:
        # Nobody to page: go straight on to the next rung; after the last, look again soon.
        retry = deps.config.nobody_retry_seconds * deps.config.time_scale
        wait = 0.0 if rung is not None and not rung.is_repeat else min(wait, retry)
    due = now + timedelta(seconds=wait) if wait is not None else None
    state = state.model_copy(
        update={
            "step": step,
            "next_step": step + 1,
            "next_due": due,
            "pages": [*state.pages, *pages],
            "next_reason": "no_ack" if targets else "no_one_on_call",
        }
    )
    if due is not None:
        ops.append(ob.schedule(ALERT_TIMERS, alert_id, due, {"step": step + 1}))
    if not await deps.claims.complete(claim, pipe=pipe):
        raise StepBusy(claim)
    store.put_alert(pipe, state)
    for page in pages:
        pipe.set(keys.notification(page.notification_id), alert_id, ex=store.retention)
    deps.outbox.stage(pipe, alert_stream(alert_id), ops)
    return {
        "alert_id": alert_id,
        "code": state.code,
        "step": step,
        "site_id": state.site_id,
        "clinician_ids": [c for c, _ in targets],
        "next_due": due,
    }
