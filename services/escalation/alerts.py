"""Raised alerts (ClinicalAlertRaised): open a new alert, count a repeat, or upgrade one.

ESC-DEDUPE: while an alert with the same dedup key is open (or acknowledged), a repeat is
counted into it and pages nobody; a more urgent repeat raises the open alert's severity and
starts the new severity's ladder at once, with the same code.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from redis.asyncio.client import Pipeline

from services.escalation import outbox as ob
from services.escalation.context import Context
from services.escalation.model import AlertState
from services.escalation.rules.grouping import Grouping, decide, still_groups
from services.escalation.timers import DigestDue, LadderStep
from shared.events import ClinicalAlertRaised

log = logging.getLogger("mtm.escalation.alerts")


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


async def on_alert_raised(ctx: Context, event: ClinicalAlertRaised) -> None:
    """Open a new alert, count a repeat into the open one, or raise the open one's severity."""
    outcome = await ctx.store.transact(lambda pipe: _raise(ctx, pipe, event))
    log.info("alert raised", extra=outcome)
    for stream in outcome.get("streams", ()):
        await ctx.outbox.flush(stream)


async def _raise(ctx: Context, pipe: Pipeline, event: ClinicalAlertRaised) -> dict[str, Any]:
    store, keys = ctx.store, ctx.store.keys
    ids = {"alert_id": event.alert_id, "site_id": event.site_id, "severity": event.severity}
    await pipe.watch(
        keys.alert(event.alert_id), keys.member(event.alert_id), keys.dedup(event.dedup_key)
    )
    if await pipe.exists(keys.alert(event.alert_id), keys.member(event.alert_id)):
        # A redelivery: the first delivery decided; only finish what it left in the outbox.
        into = _text(await pipe.get(keys.member(event.alert_id))) or event.alert_id
        return {**ids, "outcome": "redelivered", "streams": [ob.alert_stream(into)]}
    open_id = _text(await pipe.get(keys.dedup(event.dedup_key)))
    now = ctx.clock.now()
    window = timedelta(seconds=ctx.config.dedupe_window_seconds)
    current: AlertState | None = None
    if open_id:
        await pipe.watch(keys.alert(open_id))
        current = await store.alert(open_id, via=pipe)
        if current is not None and not still_groups(
            status=current.status, raised_at=current.raised_at, now=now, window=window
        ):
            current = None
    grouping = decide(current.severity if current else None, event.severity)
    if grouping is Grouping.NEW or current is None:
        return await _open(ctx, pipe, event, ids)
    member_ttl = store.retention
    if grouping is Grouping.COUNT:
        pipe.multi()
        store.put_alert(pipe, current.model_copy(update={"count": current.count + 1}))
        pipe.set(keys.member(event.alert_id), current.alert_id, ex=member_ttl)
        return {**ids, "outcome": "grouped", "into": current.alert_id}
    plan = ctx.ladder(event.severity)
    update: dict[str, Any] = {"severity": event.severity, "count": current.count + 1}
    ops: list[ob.Op] = []
    if plan.mode == "page":
        code = current.code or await store.allocate_code(current.alert_id)
        due = now + timedelta(seconds=plan.delays[0])
        update.update(
            code=code,
            plan=plan.to_dict(),
            base=current.next_step,
            status="open",
            next_due=due,
            next_reason="severity_raised",
            acknowledged_by=None,
            acknowledged_at=None,
            resolve_by=None,
            reminders=0,
        )
        ops.append(LadderStep(current.alert_id, current.next_step).op(due))
    pipe.multi()
    upgraded = current.model_copy(update=update)
    store.put_alert(pipe, upgraded)
    pipe.set(keys.member(event.alert_id), current.alert_id, ex=member_ttl)
    if upgraded.code:
        store.keep_code(pipe, upgraded.code)
    if current.status == "queued" and upgraded.status == "open":
        pipe.srem(keys.digest(current.site_id), current.alert_id)
    ctx.outbox.stage(pipe, ob.alert_stream(current.alert_id), ops)
    return {
        **ids,
        "outcome": "upgraded",
        "into": current.alert_id,
        "streams": [ob.alert_stream(current.alert_id)],
    }


async def _open(
    ctx: Context, pipe: Pipeline, event: ClinicalAlertRaised, ids: dict[str, Any]
) -> dict[str, Any]:
    store, keys = ctx.store, ctx.store.keys
    now = ctx.clock.now()
    site_id = event.site_id or ctx.config.network_site
    plan = ctx.ladder(event.severity)
    state = AlertState(
        alert_id=event.alert_id,
        patient_id=event.patient_id,
        site_id=site_id,
        severity=event.severity,
        rule_id=event.rule_id,
        dedup_key=event.dedup_key,
        correlation_id=event.correlation_id,
        raised_at=event.occurred_at,
        plan=plan.to_dict(),
    )
    if plan.mode == "page":
        code = await store.allocate_code(event.alert_id)
        due = now + timedelta(seconds=plan.delays[0])
        state = state.model_copy(update={"code": code, "next_due": due})
        stream = ob.alert_stream(event.alert_id)
        ops = [LadderStep(event.alert_id, 0).op(due)]
    else:
        state = state.model_copy(update={"status": "queued"})
        roster = await store.roster(site_id)
        due = ctx.next_digest(site_id, now, roster.zone if roster else None)
        stream = ob.digest_stream(site_id)
        ops = [DigestDue(site_id).op(due)]
    pipe.multi()
    store.put_alert(pipe, state)
    pipe.set(keys.dedup(event.dedup_key), event.alert_id)
    if state.code:
        store.keep_code(pipe, state.code)
    else:
        pipe.sadd(keys.digest(site_id), event.alert_id)
        pipe.sadd(keys.digest_sites, site_id)
    ctx.outbox.stage(pipe, stream, ops)
    return {**ids, "outcome": "opened", "code": state.code, "streams": [stream]}
