"""Delivery status callbacks: matched to their notification by SID, published as outcomes."""

from __future__ import annotations

import logging
from datetime import timedelta

from services.dispatcher import timers
from services.dispatcher.context import IDS, SOURCE, Context, envelope, send_key
from services.dispatcher.rules.errors import INVALID_NUMBER_CODES, classify_delivery
from shared.events import (
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    SmsStatusReceived,
    phone_key,
)

log = logging.getLogger("mtm.dispatcher")

FINAL = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})
# A callback can beat our own record of the SID (we record after Twilio answers): look again.
RECHECK_EVERY = timedelta(seconds=20)
RECHECKS = 15


async def on_status(ctx: Context, event: SmsStatusReceived, *, recheck: int = 0) -> None:
    sid = event.message_sid
    info = await ctx.store.sid_info(sid)
    if info is None:
        if event.status in FINAL and recheck < RECHECKS:
            again = timers.StatusRecheck(
                sid=sid, status=event.status, code=event.error_code, recheck=recheck + 1
            )
            await timers.schedule(ctx, again, ctx.clock.now() + RECHECK_EVERY)
        elif event.status in FINAL:
            log.warning("status for an unknown message dropped", extra={"message_sid": sid})
        return
    req = NotificationRequested.model_validate_json(info.request)
    verdict = classify_delivery(
        status=event.status, error_code=event.error_code, retried=info.attempt > 0
    )
    ids = {
        "notification_id": info.notification_id,
        "message_sid": sid,
        "status": event.status,
        "error_code": event.error_code,
    }
    if verdict == "pending":
        return
    if verdict == "delivered":
        ctx.metrics.delivered.inc()
        log.info("sms delivered", extra=ids)
        await ctx.publish(
            NotificationDelivered(
                event_id=IDS.id(sid, "delivered"),
                notification_id=req.notification_id,
                message_sid=sid,
                recipient=req.recipient,
                category=req.category,
                **envelope(req),
            )
        )
        await ctx.store.settle(sid)  # final: no status look-up needed (reconcile.py)
        return
    # A page is not sent again by the dispatcher: its ladder pages on, at its own pace.
    retry = verdict == "retry" and req.category != "clinician_page"
    ctx.metrics.failed.labels(stage="delivery").inc()
    log.info("sms not delivered", extra={**ids, "retry": retry})
    if retry:
        # 30003 (handset off or out of range) may clear: one more try later.
        due = ctx.clock.now() + timedelta(minutes=ctx.settings.retry_30003_minutes)
        key = send_key(info.notification_id, info.attempt + 1)
        await ctx.store.put_request(key, info.request)
        resubmit = timers.Resubmit(
            key=key, urgent=req.priority == "urgent", attempt=info.attempt + 1
        )
        await timers.schedule(ctx, resubmit, due)
    elif event.error_code in INVALID_NUMBER_CODES:
        contact = await ctx.directory.get(req.recipient.kind, req.recipient.id)
        if contact is not None:
            await ctx.directory.mark_invalid(phone_key(contact.phone), event.error_code)
    await ctx.publish(
        NotificationFailed(
            event_id=IDS.id(sid, "failed", event.status),
            notification_id=req.notification_id,
            message_sid=sid,
            recipient=req.recipient,
            category=req.category,
            error_code=event.error_code,
            permanent=not retry,
            stage="delivery",
            **envelope(req),
        )
    )
    await ctx.store.settle(sid)


async def on_recheck(ctx: Context, timer: timers.StatusRecheck) -> None:
    """A status that came before our record of its SID, handled again."""
    event = SmsStatusReceived(
        message_sid=timer.sid,
        status=timer.status,
        error_code=timer.code,
        received_at=ctx.clock.now(),
        source=SOURCE,
    )
    await on_status(ctx, event, recheck=timer.recheck)
