"""Kafka handlers of the escalation service: mtm.alerts, mtm.clinicians, mtm.notify.status.

The router, and one `on_<event>(ctx, event)` per consumed event: here the clinicians' and the
pages' statuses; raised alerts in alerts.py, ACK and RESOLVE in acks.py, a clinician's STOP in
stop_requests.py."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from faststream.kafka import KafkaRouter
from redis.asyncio.client import Pipeline

from services.escalation import digest, ladder, reach_check, unresolved
from services.escalation import outbox as ob
from services.escalation.acks import on_alert_acknowledged, on_alert_resolved
from services.escalation.alerts import on_alert_raised
from services.escalation.context import Context
from services.escalation.rules import messages as msg
from services.escalation.rules import roster as rosters
from services.escalation.rules.localtime import local_label
from services.escalation.rules.reach import (
    after_undelivered,
    failed_for_good,
)
from services.escalation.stop_requests import on_clinician_stop_request
from services.escalation.timers import DigestDue, LadderStep, ResolveCheck, parse
from shared import topics
from shared.broker import InvalidEvent, group_id, subscriber
from shared.events import (
    AlertAcknowledged,
    AlertResolved,
    AlertsEvent,
    ClinicalAlertRaised,
    ClinicianRegistered,
    CliniciansEvent,
    NotificationDelivered,
    NotificationFailed,
    NotificationSuppressed,
    NotifyStatusEvent,
    OperationalWarning,
    RosterPublished,
)
from shared.timers import Timer

log = logging.getLogger("mtm.escalation.handlers")

MAX_GAP_WARNINGS = 20


async def on_timer(ctx: Context, namespace: str, timer: Timer) -> None:
    """The timer handler of both namespaces."""
    match parse(namespace, timer):
        case LadderStep() as step:
            await ladder.fire_step(ctx, step)
        case ResolveCheck() as check:
            await unresolved.fire_unresolved(ctx, check)
        case DigestDue() as due:
            await digest.fire_digest(ctx, due)
        case None:
            log.error("unknown timer dropped", extra={"namespace": namespace, "timer": timer.key})


def make_router(ctx: Context, *, prefix: str = "") -> KafkaRouter:
    """The service's subscriptions (bare topic names; the runtime adds the prefix), one
    consumer group per topic so a joining consumer rebalances only its own topic."""
    router = KafkaRouter()

    def group(topic: str) -> str:
        return group_id(topics.Groups.ESCALATION, topic, prefix=prefix)

    @subscriber(router, topics.ALERTS, group=group(topics.ALERTS))
    async def alerts(event: AlertsEvent) -> None:
        if isinstance(event, ClinicalAlertRaised):
            await on_alert_raised(ctx, event)
        elif isinstance(event, AlertAcknowledged) and event.source != msg.SOURCE:
            await on_alert_acknowledged(ctx, event)
        elif isinstance(event, AlertResolved) and event.source != msg.SOURCE:
            await on_alert_resolved(ctx, event)
        elif (
            isinstance(event, OperationalWarning)
            and event.warning == "clinician_stop_request"
            and event.source != msg.SOURCE
        ):
            await on_clinician_stop_request(ctx, event)
        # AlertPaged, AlertEscalated, OperationalWarning and our own confirmations: our output.

    @subscriber(router, topics.CLINICIANS, group=group(topics.CLINICIANS), bulk=True)
    async def clinicians(event: CliniciansEvent) -> None:
        await ctx.ledger.admit(event)
        if isinstance(event, RosterPublished):
            await on_roster_published(ctx, event)
        elif isinstance(event, ClinicianRegistered):
            await on_clinician_registered(ctx, event)

    @subscriber(router, topics.NOTIFY_STATUS, group=group(topics.NOTIFY_STATUS), bulk=True)
    async def statuses(event: NotifyStatusEvent) -> None:
        await on_notification_status(ctx, event)

    return router


async def on_clinician_registered(ctx: Context, event: ClinicianRegistered) -> None:
    """Remember who can be paged: sites and role only (the dispatcher owns phones and names)."""
    record = {"sites": event.sites, "role": event.role}
    async with ctx.store.redis.pipeline(transaction=True) as pipe:
        pipe.set(ctx.store.keys.clinician(event.clinician_id), json.dumps(record))
        # A new registration (a new number, say) is worth paging again.
        pipe.hdel(ctx.store.keys.unreachable, event.clinician_id)
        await pipe.execute()
    log.info("clinician registered", extra={"clinician_id": event.clinician_id})
    await reach_check.check_sites_of(ctx, event.clinician_id, ctx.clock.now())


async def on_roster_published(ctx: Context, event: RosterPublished) -> None:
    """Merge a site's roster into the stored one and report gaps in the coming days."""
    try:
        new = rosters.Roster(
            site_id=event.site_id,
            zone=event.zone,
            shifts=rosters.slots(event.shifts, event.zone),
            overrides=rosters.slots(event.overrides, event.zone, kind="override"),
            director_id=event.director_id,
        )
    except rosters.RosterError as exc:
        raise InvalidEvent(f"roster {event.roster_id}: {exc}") from exc
    configured = ctx.config.sites.get(event.site_id)
    if configured is not None and configured.zone != event.zone:
        log.warning(
            "roster zone differs from the site's; the roster's zone is used",
            extra={"site_id": event.site_id, "roster_id": event.roster_id},
        )
    outcome = await ctx.store.transact(lambda pipe: _store_roster(ctx, pipe, event, new))
    log.info("roster published", extra=outcome)
    await ctx.outbox.flush(f"roster:{event.site_id}")
    await reach_check.check_site(ctx, event.site_id, ctx.clock.now())
    named = (
        {s.primary_id for s in (*new.shifts, *new.overrides)}
        | {s.backup_id for s in (*new.shifts, *new.overrides) if s.backup_id}
        | ({new.director_id} if new.director_id else set())
    )
    unknown = sorted([c for c in named if await ctx.store.clinician(c) is None])
    if unknown:
        # The dispatcher cannot text a clinician it has no number for: their pages would only
        # escalate after its unknown-recipient grace period.
        log.warning(
            "roster names clinicians not registered (yet)",
            extra={"site_id": event.site_id, "clinician_ids": unknown[:20]},
        )


async def _store_roster(
    ctx: Context, pipe: Pipeline, event: RosterPublished, new: rosters.Roster
) -> dict[str, Any]:
    store, keys = ctx.store, ctx.store.keys
    seen = keys.roster_seen(str(event.event_id))
    await pipe.watch(keys.roster(event.site_id), seen)
    ids = {"site_id": event.site_id, "roster_id": event.roster_id}
    if await pipe.exists(seen):
        return {**ids, "outcome": "redelivered"}
    raw = await pipe.get(keys.roster(event.site_id))
    old = rosters.from_dict(json.loads(raw)) if raw else None
    now = ctx.clock.now()
    merged = rosters.prune(rosters.merge(old, new), now - timedelta(days=1))
    horizon = now + timedelta(days=ctx.config.gap_horizon_days)
    holes = rosters.gaps(merged, now, horizon)
    ops = [
        ob.publish(
            msg.warning(
                kind="roster_gap",
                site_id=event.site_id,
                key=f"{event.event_id}:{i}",
                now=now,
                detail=f"roster {event.roster_id[:40]}: no primary on call "
                f"{local_label(start, merged.zone)} to {local_label(end, merged.zone)}",
            )
        )
        for i, (start, end) in enumerate(holes[:MAX_GAP_WARNINGS])
    ]
    pipe.multi()
    pipe.set(keys.roster(event.site_id), json.dumps(rosters.to_dict(merged)))
    if event.network_fallback:
        pipe.set(keys.fallback, event.site_id)
    pipe.set(seen, "1", ex=store.retention)
    ctx.outbox.stage(pipe, f"roster:{event.site_id}", ops)
    return {**ids, "outcome": "stored", "shifts": len(merged.shifts), "gaps": len(holes)}


async def on_notification_status(ctx: Context, event: NotifyStatusEvent) -> None:
    """Audit a page's delivery; a page that failed escalates at once instead of waiting."""
    if event.recipient.kind != "clinician" or event.category != "clinician_page":
        return
    if not isinstance(event, NotificationDelivered | NotificationFailed | NotificationSuppressed):
        return
    if isinstance(event, NotificationSuppressed) and event.reason == "duplicate":
        return  # the same page was already sent
    alert_id = await ctx.store.alert_for_notification(str(event.notification_id))
    if alert_id is None:
        return
    outcome = await ctx.store.transact(lambda pipe: _page_status(ctx, pipe, alert_id, event))
    if outcome:
        log.info("page status", extra=outcome)
    await ctx.outbox.flush(ob.alert_stream(alert_id))
    if outcome.get("for_good"):
        # Tomorrow's shifts may name them too: say so now, not at their next page.
        await reach_check.check_sites_of(ctx, outcome["clinician_id"], ctx.clock.now())


async def _page_status(ctx: Context, pipe: Pipeline, alert_id: str, event: Any) -> dict[str, Any]:
    store = ctx.store
    await pipe.watch(store.keys.alert(alert_id))
    state = await store.alert(alert_id, via=pipe)
    nid = str(event.notification_id)
    page = next((p for p in state.pages if p.notification_id == nid), None) if state else None
    if state is None or page is None or state.code is None:
        return {}
    code = state.code
    delivered = isinstance(event, NotificationDelivered)
    if page.delivered if delivered else page.failed:
        return {}  # a redelivered status event
    now = ctx.clock.now()
    for_good = not delivered and failed_for_good(
        suppressed_reason=event.reason if isinstance(event, NotificationSuppressed) else None,
        permanent=isinstance(event, NotificationFailed) and event.permanent,
        error_code=event.error_code if isinstance(event, NotificationFailed) else None,
    )
    marked = page.model_copy(
        update={"delivered": True} if delivered else {"failed": True, "permanent": for_good}
    )
    pages = [marked if p.notification_id == nid else p for p in state.pages]
    state = state.model_copy(update={"pages": pages})
    ops = [
        ob.publish(
            msg.paged(
                alert_id=alert_id,
                patient_id=state.patient_id,
                site_id=state.site_id,
                code=code,
                step=page.step,
                clinician_id=page.clinician_id,
                notification_id=nid,
                role=page.role,
                severity=state.severity,
                now=now,
                delivery="delivered" if delivered else "failed",
            )
        )
    ]
    action = "wait"
    if (
        not delivered
        and state.status == "open"
        and page.step == state.step
        and all(p.failed for p in state.pages_of(state.step))
    ):
        action = after_undelivered(
            next_step=state.step_plan(state.next_step) if state.next_due is not None else None,
            rungs_failed=state.rungs_failed,
            fallback_paged=state.fallback_paged,
        )
    if action != "wait":
        reason = "undelivered" if action == "next_rung" else "unreachable"
        state = state.model_copy(update={"next_due": now, "next_reason": reason})
        ops.append(LadderStep(alert_id, state.next_step).op(now))
    pipe.multi()
    store.put_alert(pipe, state)
    if delivered:
        pipe.hdel(store.keys.unreachable, page.clinician_id)
    elif for_good:
        why = event.reason if isinstance(event, NotificationSuppressed) else "failed"
        error = getattr(event, "error_code", None)
        pipe.hset(store.keys.unreachable, page.clinician_id, f"{why}:{error or ''}")
    ctx.outbox.stage(pipe, ob.alert_stream(alert_id), ops)
    return {
        "alert_id": alert_id,
        "code": state.code,
        "step": page.step,
        "clinician_id": page.clinician_id,
        "delivered": delivered,
        "escalated": action,
        "for_good": for_good,
    }
