"""Acknowledged is not resolved (ESC-UNRESOLVED): re-escalate an alert nobody resolved.

An ACK turns the alert's timer into its resolve-by check (a `timers.ResolveCheck`, payload
`{"unresolved": N}`, N the step it will take, due `resolve_within` after the ACK). When it fires
and the alert is still acknowledged, step N reminds the acknowledger ("Alert P0 #4821 at Austin
acknowledged, not resolved. Reply RESOLVE 4821 when done.") and pages the ladder's next rung
above them (the backup above the primary, then the director; the top rung once past it),
publishes AlertEscalated(reason=unresolved), and arms the check again `resolve_within` later.
The last reminder the ladder allows (`max_reminders`) raises OperationalWarning(alert_unresolved)
and arms nothing. RESOLVE cancels the timer; a check that still fires finds the alert resolved
(or acknowledged again later, or re-opened by an upgrade) and does nothing.

Crash safety is the ladder's: claim `alert:<id>:unresolved:<N>` (`Once.commit`), then one
transaction records step N, completes the claim and queues the pages, the audit events and the
next check in the outbox; a re-fired timer finds step N done and only flushes the outbox.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from redis.asyncio.client import Pipeline

from services.escalation import outbox as ob
from services.escalation.context import Context
from services.escalation.ladder import page_ops_for, page_targets
from services.escalation.model import AlertState
from services.escalation.rules import messages as msg
from services.escalation.rules.policy import (
    Step,
    acknowledger_rung,
    unresolved_due,
    unresolved_target,
    unresolved_wait,
)
from shared.idempotency import ClaimBusy

if TYPE_CHECKING:  # timers.py fires this module's checks
    from services.escalation.timers import ResolveCheck

log = logging.getLogger("mtm.escalation.unresolved")


def _firable(ctx: Context, state: AlertState | None, step: int) -> bool:
    return (
        state is not None
        and state.next_step == step
        and unresolved_due(status=state.status, resolve_by=state.resolve_by, now=ctx.clock.now())
    )


async def fire_unresolved(ctx: Context, timer: ResolveCheck) -> None:
    """Remind the acknowledger and page the next rung, if the alert is still unresolved (once,
    as a ladder step: see ladder.fire_step)."""
    alert_id, step = timer.alert_id, timer.step
    if _firable(ctx, await ctx.store.alert(alert_id), step):
        fired = await ctx.once.commit(
            timer.claim, lambda: ctx.store.transact(lambda pipe: _commit(ctx, pipe, timer))
        )
        if fired is not None:
            log.warning("acknowledged alert not resolved; re-escalated", extra=fired)
    await ctx.outbox.flush(ob.alert_stream(alert_id))


async def _commit(ctx: Context, pipe: Pipeline, timer: ResolveCheck) -> dict[str, Any] | None:
    store, keys = ctx.store, ctx.store.keys
    alert_id, step = timer.alert_id, timer.step
    await pipe.watch(keys.alert(alert_id))
    state = await store.alert(alert_id, via=pipe)
    if state is None or not _firable(ctx, state, step):
        return None
    assert state.code is not None and state.acknowledged_by is not None
    now = ctx.clock.now()
    acker = state.acknowledged_by
    plan = ctx.resolve_plan(state)
    reminder = state.reminders + 1
    ids = {"alert_id": alert_id, "patient_id": state.patient_id, "site_id": state.site_id}
    ops: list[ob.Op] = [
        ob.publish(
            msg.escalated(
                **ids, from_step=max(state.step, 0), to_step=step, reason="unresolved", now=now
            )
        )
    ]
    # The acknowledger first: the reminder to record the outcome.
    page, reminder_ops = page_ops_for(ctx, state, step, acker, "reminder", now, reminder=True)
    pages = [page]
    ops.extend(reminder_ops)
    # Then the rung above them (nobody else if that is the acknowledger again).
    rung = acknowledger_rung(plan.targets, (p.role for p in state.pages if p.clinician_id == acker))
    target = unresolved_target(plan.targets, rung, reminder)
    found = await page_targets(ctx, state, Step(rung, target), step, now)
    ops.extend(found.ops)
    for clinician_id, role in found.pages:
        if clinician_id != acker:
            page, page_ops = page_ops_for(ctx, state, step, clinician_id, role, now)
            pages.append(page)
            ops.extend(page_ops)
    wait = unresolved_wait(plan, reminder)
    due = now + timedelta(seconds=wait) if wait is not None else None
    if due is not None:
        ops.append(timer.next().op(due))
    else:
        ops.append(
            ob.publish(
                msg.warning(
                    kind="alert_unresolved",
                    site_id=state.site_id,
                    now=now,
                    key=f"{alert_id}:{step}",
                    detail=f"{state.severity} alert {state.code} acknowledged by {acker}, "
                    f"not resolved after {reminder} reminder(s); no more reminders",
                    correlation_id=alert_id,
                )
            )
        )
    state = state.model_copy(
        update={
            "step": step,
            "next_step": step + 1,
            "resolve_by": due,
            "reminders": reminder,
            "pages": [*state.pages, *pages],
        }
    )
    if not await ctx.once.claims.complete(timer.claim, pipe=pipe):
        raise ClaimBusy(timer.claim)
    store.put_alert(pipe, state)
    for page in pages:
        pipe.set(keys.notification(page.notification_id), alert_id, ex=store.retention)
    ctx.outbox.stage(pipe, ob.alert_stream(alert_id), ops)
    return {
        "alert_id": alert_id,
        "code": state.code,
        "step": step,
        "reminder": reminder,
        "site_id": state.site_id,
        "acknowledged_by": acker,
        "clinician_ids": [p.clinician_id for p in pages[1:]],
        "next_due": due,
    }
