"""Delivery status callbacks: matched to their notification by SID, published as outcomes."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from services.dispatcher.rules.errors import INVALID_NUMBER_CODES, classify_delivery
from services.dispatcher.service import Service, derived_id, envelope, send_key
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


class StatusHandler:
    def __init__(self, svc: Service) -> None:
        self.svc = svc

    async def on_status(self, event: SmsStatusReceived, *, recheck: int = 0) -> None:
        sid = event.message_sid
        info = await self.svc.store.sid_info(sid)
        if info is None:
            if event.status in FINAL and recheck < RECHECKS:
                payload = {
                    "kind": "status",
                    "sid": sid,
                    "status": event.status,
                    "code": event.error_code,
                    "recheck": recheck + 1,
                }
                due = self.svc.clock.now() + RECHECK_EVERY
                await self.svc.timers.schedule(f"status:{sid}:{event.status}", due, payload)
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
            self.svc.metrics.delivered.inc()
            log.info("sms delivered", extra=ids)
            await self.svc.publish(
                NotificationDelivered(
                    event_id=derived_id(sid, "delivered"),
                    notification_id=req.notification_id,
                    message_sid=sid,
                    recipient=req.recipient,
                    category=req.category,
                    **envelope(req),
                )
            )
            await self.svc.store.settle(sid)  # final: no status look-up needed (reconcile.py)
            return
        # A page is not sent again by the dispatcher: its ladder pages on, at its own pace.
        retry = verdict == "retry" and req.category != "clinician_page"
        self.svc.metrics.failed.labels(stage="delivery").inc()
        log.info("sms not delivered", extra={**ids, "retry": retry})
        if retry:
            # 30003 (handset off or out of range) may clear: one more try later.
            due = self.svc.clock.now() + timedelta(minutes=self.svc.settings.retry_30003_minutes)
            key = send_key(info.notification_id, info.attempt + 1)
            await self.svc.store.put_request(key, info.request)
            payload = {
                "kind": "resubmit",
                "key": key,
                "attempt": info.attempt + 1,
                "urgent": req.priority == "urgent",
            }
            await self.svc.timers.schedule(f"resubmit:{key}", due, payload)
        elif event.error_code in INVALID_NUMBER_CODES:
            contact = await self.svc.directory.get(req.recipient.kind, req.recipient.id)
            if contact is not None:
                await self.svc.directory.mark_invalid(phone_key(contact.phone), event.error_code)
        await self.svc.publish(
            NotificationFailed(
                event_id=derived_id(sid, "failed", event.status),
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
        await self.svc.store.settle(sid)

    async def on_timer(self, payload: dict[str, Any]) -> None:
        event = SmsStatusReceived(
            message_sid=payload["sid"],
            status=payload["status"],
            error_code=payload.get("code"),
            received_at=self.svc.clock.now(),
            source="dispatcher",
        )
        await self.on_status(event, recheck=int(payload.get("recheck", 1)))
