"""A clinician's ACK and RESOLVE, authorised against who was paged for the code.

AlertAcknowledged and AlertResolved arrive twice on the topic: first as the dispatcher's reading
of a clinician's "ACK 4821" (source `dispatcher`, usually without alert_id), then as this
service's confirmation (source `escalation`, with alert_id), which is the audit step. Only
readings are acted on, and only after checking that the clinician was paged for that code;
confirmations are this service's own output and are never read back (no loop).

An ACK stops the ladder but does not close the alert: it arms the resolve-by check (see
unresolved.py) on the alert's timer; RESOLVE cancels it and closes the alert.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from redis.asyncio.client import Pipeline

from services.escalation import outbox as ob
from services.escalation.context import Context
from services.escalation.model import AlertState
from services.escalation.rules import messages as msg
from services.escalation.rules.auth import may_acknowledge, may_resolve
from services.escalation.rules.policy import unresolved_wait
from services.escalation.timers import ALERT_TIMERS, ResolveCheck
from shared.events import AlertAcknowledged, AlertResolved
from shared.logging import security_event

log = logging.getLogger("mtm.escalation.acks")


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


async def _find(ctx: Context, code: str, alert_id: str | None) -> str | None:
    found = await ctx.store.alert_for_code(code)
    if found is None or (alert_id is not None and alert_id != found):
        return None
    return found


def _notices(ctx: Context, state: AlertState, acker: str, *, takeover: bool = False) -> list[ob.Op]:
    now = ctx.clock.now()
    assert state.code is not None
    return [
        ob.publish(
            msg.notice_request(
                alert_id=state.alert_id,
                site_id=state.site_id,
                code=state.code,
                site_name=ctx.config.site_name(state.site_id),
                clinician_id=other,
                now=now,
                acknowledged_by=acker if takeover else None,
            )
        )
        for other in state.paged_ids
        if other != acker
    ]


def _refused(
    what: str, event: AlertAcknowledged | AlertResolved, alert_id: str | None, reason: str
) -> None:
    # A security event: ids only, never the phone the reply came from.
    level = logging.INFO if reason == "duplicate" else logging.WARNING
    log.log(
        level,
        f"{what} refused",
        extra={
            "security": reason != "duplicate",
            "reason": reason,
            "alert_id": alert_id,
            "code": event.code,
            "clinician_id": event.clinician_id,
            "source": event.source,
        },
    )
    if reason != "duplicate":
        security_event(
            f"{what}_refused",
            service="escalation",
            reason=reason,
            alert_id=alert_id,
            code=event.code,
            clinician_id=event.clinician_id,
            event_id=str(event.event_id),
        )


async def on_alert_acknowledged(ctx: Context, event: AlertAcknowledged) -> None:
    """A clinician's ACK: stop the ladder, tell the others paged, confirm on mtm.alerts."""
    alert_id = await _find(ctx, event.code, event.alert_id)
    if alert_id is None:
        _refused("ack", event, event.alert_id, "unknown_code")
        return
    verdict = await ctx.store.transact(lambda pipe: _acknowledge(ctx, pipe, alert_id, event))
    if verdict not in ("ok", "takeover"):
        _refused("ack", event, alert_id, verdict)
    else:
        log.info(
            "alert acknowledged",
            extra={
                "alert_id": alert_id,
                "code": event.code,
                "clinician_id": event.clinician_id,
                "takeover": verdict == "takeover",
            },
        )
    await ctx.outbox.flush(ob.alert_stream(alert_id))


async def _acknowledge(
    ctx: Context, pipe: Pipeline, alert_id: str, event: AlertAcknowledged
) -> str:
    await pipe.watch(ctx.store.keys.alert(alert_id))
    state = await ctx.store.alert(alert_id, via=pipe)
    if state is None or state.code is None:
        return "unknown_code"
    verdict = may_acknowledge(
        status=state.status,
        paged=state.paged_ids,
        clinician_id=event.clinician_id,
        acknowledged_by=state.acknowledged_by,
        reminders=state.reminders,
    )
    if not verdict.allowed:
        return verdict.reason
    takeover = verdict.reason == "takeover"
    now = ctx.clock.now()
    # Acknowledged is not resolved: the ladder's timer becomes the resolve-by check. A takeover
    # (another clinician paged by the re-escalation answers ACK) starts it afresh for them.
    wait = unresolved_wait(ctx.resolve_plan(state), 0)
    resolve_by = now + timedelta(seconds=wait) if wait is not None else None
    acked = state.model_copy(
        update={
            "status": "acknowledged",
            "acknowledged_by": event.clinician_id,
            "acknowledged_at": now,
            "next_due": None,
            "resolve_by": resolve_by,
            "reminders": 0,
        }
    )
    ops = [
        ob.cancel(ALERT_TIMERS, alert_id)
        if resolve_by is None
        else ResolveCheck(alert_id, state.next_step).op(resolve_by),
        ob.publish(
            msg.acknowledged(
                alert_id=alert_id,
                patient_id=state.patient_id,
                site_id=state.site_id,
                code=state.code,
                clinician_id=event.clinician_id,
                message_sid=event.message_sid,
                now=now,
                takeover=takeover,
            )
        ),
        *_notices(ctx, state, event.clinician_id, takeover=takeover),
    ]
    pipe.multi()
    ctx.store.put_alert(pipe, acked)
    ctx.outbox.stage(pipe, ob.alert_stream(alert_id), ops)
    return verdict.reason


async def on_alert_resolved(ctx: Context, event: AlertResolved) -> None:
    """A clinician's RESOLVE: close the alert (stopping the ladder if it still ran)."""
    alert_id = await _find(ctx, event.code, event.alert_id)
    if alert_id is None:
        _refused("resolve", event, event.alert_id, "unknown_code")
        return
    verdict = await ctx.store.transact(lambda pipe: _resolve(ctx, pipe, alert_id, event))
    if verdict != "ok":
        _refused("resolve", event, alert_id, verdict)
    else:
        log.info(
            "alert resolved",
            extra={"alert_id": alert_id, "code": event.code, "clinician_id": event.clinician_id},
        )
    await ctx.outbox.flush(ob.alert_stream(alert_id))


async def _resolve(ctx: Context, pipe: Pipeline, alert_id: str, event: AlertResolved) -> str:
    store, keys = ctx.store, ctx.store.keys
    await pipe.watch(keys.alert(alert_id))
    state = await store.alert(alert_id, via=pipe)
    if state is None or state.code is None:
        return "unknown_code"
    verdict = may_resolve(
        status=state.status, paged=state.paged_ids, clinician_id=event.clinician_id
    )
    if not verdict.allowed:
        return verdict.reason
    await pipe.watch(keys.dedup(state.dedup_key))
    holder = _text(await pipe.get(keys.dedup(state.dedup_key)))
    now = ctx.clock.now()
    ops = [
        ob.cancel(ALERT_TIMERS, alert_id),
        ob.publish(
            msg.resolved(
                alert_id=alert_id,
                patient_id=state.patient_id,
                site_id=state.site_id,
                code=state.code,
                clinician_id=event.clinician_id,
                outcome=event.outcome,
                now=now,
            )
        ),
    ]
    if state.status == "open" or state.reminders:
        # The others paged stand down; after a re-escalation that includes those it paged (a
        # notice keeps its id per clinician, so nobody gets a second one).
        ops.extend(_notices(ctx, state, event.clinician_id))
    closed = state.model_copy(
        update={
            "status": "resolved",
            "resolved_by": event.clinician_id,
            "resolved_at": now,
            "next_due": None,
            "resolve_by": None,
        }
    )
    pipe.multi()
    store.put_alert(pipe, closed)
    if holder == alert_id:
        pipe.delete(keys.dedup(state.dedup_key))
    store.quarantine_code(pipe, state.code, ctx.config.code_quarantine_seconds)
    ctx.outbox.stage(pipe, ob.alert_stream(alert_id), ops)
    return "ok"
