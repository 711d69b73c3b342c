"""The dispatcher's subscriptions: one on_<event> per topic, each a thin call into its part."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaRouter

from services.dispatcher.contacts import ContactsHandler
from services.dispatcher.dispatch import Dispatcher
from services.dispatcher.inbound import InboundHandler
from services.dispatcher.service import Service
from services.dispatcher.status import StatusHandler
from shared import topics
from shared.broker import group_id, subscriber
from shared.events import (
    CliniciansEvent,
    InboundSmsReceived,
    NotificationRequested,
    PatientsEvent,
    SmsStatusReceived,
)
from shared.timers import Timer, TimerWorker

Groups = topics.Groups


class Handlers:
    """The service's parts, and the timer callback that re-enters them."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.dispatcher = Dispatcher(svc)
        self.contacts = ContactsHandler(svc)
        self.inbound = InboundHandler(svc)
        self.status = StatusHandler(svc)
        self.worker: TimerWorker | None = None

    async def on_timer(self, timer: Timer) -> None:
        """Deferred requests, the one 30003 retry, and status callbacks that came too early."""
        payload = timer.payload
        if payload.get("kind") == "status":
            await self.status.on_timer(payload)
            return
        await self.dispatcher.resubmit(
            str(payload["key"]),
            urgent=bool(payload.get("urgent")),
            attempt=int(payload.get("attempt", 0)),
        )


def make_router(
    h: Handlers, *, routine_workers: int = 1, urgent_workers: int = 1, group_prefix: str = ""
) -> KafkaRouter:
    """Urgent and routine lanes are separate consumer groups: a backlog never delays a page.
    Each lane works on up to `*_workers` of its partitions at once (one consumer each, so a
    partition's records stay in order). Groups carry the topic prefix, so isolated runs (tests)
    never share a group."""
    router = KafkaRouter()

    def workers(n: int) -> dict[str, Any]:
        return {"max_workers": n} if n > 1 else {}

    def group(topic: str, service_group: str = Groups.DISPATCHER) -> str:
        return group_id(service_group, topic, prefix=group_prefix)

    @subscriber(
        router,
        topics.NOTIFY_URGENT,
        group=group(topics.NOTIFY_URGENT, Groups.DISPATCHER_URGENT),
        **workers(urgent_workers),
    )
    async def on_urgent_notification_requested(event: NotificationRequested) -> None:
        await h.dispatcher.handle(event, urgent=True)

    @subscriber(
        router,
        topics.NOTIFY_ROUTINE,
        group=group(topics.NOTIFY_ROUTINE, Groups.DISPATCHER_ROUTINE),
        bulk=True,
        **workers(routine_workers),
    )
    async def on_routine_notification_requested(event: NotificationRequested) -> None:
        await h.dispatcher.handle(event, urgent=False)

    @subscriber(router, topics.PATIENTS, group=group(topics.PATIENTS), bulk=True)
    async def on_patient_event(event: PatientsEvent) -> None:
        await h.svc.ledger.admit(event)
        await h.contacts.on_patient_event(event)

    @subscriber(router, topics.CLINICIANS, group=group(topics.CLINICIANS), bulk=True)
    async def on_clinician_event(event: CliniciansEvent) -> None:
        await h.svc.ledger.admit(event)
        await h.contacts.on_clinician_event(event)

    @subscriber(router, topics.SMS_INBOUND, group=group(topics.SMS_INBOUND))
    async def on_inbound_sms_received(event: InboundSmsReceived) -> None:
        await h.inbound.on_inbound(event)

    @subscriber(router, topics.SMS_STATUS, group=group(topics.SMS_STATUS), bulk=True)
    async def on_sms_status_received(event: SmsStatusReceived) -> None:
        await h.status.on_status(event)

    return router
