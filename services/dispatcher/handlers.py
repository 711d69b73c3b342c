"""The dispatcher's subscriptions: one on_<event> per topic, each a thin call into its flow."""

from __future__ import annotations

import logging
from typing import Any

from faststream.kafka import KafkaRouter

from services.dispatcher.contacts import contacts
from services.dispatcher.context import Context
from services.dispatcher.inbound import inbound
from services.dispatcher.send import dispatch
from services.dispatcher.status import status
from services.dispatcher.timers import Resubmit, StatusRecheck, parse
from shared import topics
from shared.broker import group_id, subscriber
from shared.events import (
    CliniciansEvent,
    InboundSmsReceived,
    NotificationRequested,
    PatientsEvent,
    SmsStatusReceived,
)
from shared.timers import Timer

Groups = topics.Groups
log = logging.getLogger("mtm.dispatcher.handlers")


async def on_notification_requested(
    ctx: Context, event: NotificationRequested, *, urgent: bool
) -> None:
    await dispatch.handle(ctx, event, urgent=urgent)


async def on_patients_event(ctx: Context, event: PatientsEvent) -> None:
    await ctx.ledger.admit(event)
    await contacts.on_patient_event(ctx, event)


async def on_clinicians_event(ctx: Context, event: CliniciansEvent) -> None:
    await ctx.ledger.admit(event)
    await contacts.on_clinician_event(ctx, event)


async def on_inbound_sms(ctx: Context, event: InboundSmsReceived) -> None:
    await inbound.on_inbound(ctx, event)


async def on_sms_status(ctx: Context, event: SmsStatusReceived) -> None:
    await status.on_status(ctx, event)


async def on_timer(ctx: Context, timer: Timer) -> None:
    """Deferred requests, the one 30003 retry, and status callbacks that came too early."""
    match parse(timer):
        case Resubmit(key=key, urgent=urgent, attempt=attempt):
            await dispatch.resubmit(ctx, key, urgent=urgent, attempt=attempt)
        case StatusRecheck() as recheck:
            await status.on_recheck(ctx, recheck)
        case None:
            log.warning("timer of an unknown shape dropped", extra={"timer": timer.key})


def make_router(
    ctx: Context, *, routine_workers: int = 1, urgent_workers: int = 1, group_prefix: str = ""
) -> KafkaRouter:
    """Urgent and routine lanes are separate consumer groups: a backlog never delays a page.
    Each lane works on up to `*_workers` of its partitions at once (one consumer each, so a
    partition's records stay in order). Groups carry the topic prefix, so isolated runs (tests)
    never share a group. The subscribers' names are their AsyncAPI channel names
    (docs/asyncapi/dispatcher.json)."""
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
        await on_notification_requested(ctx, event, urgent=True)

    @subscriber(
        router,
        topics.NOTIFY_ROUTINE,
        group=group(topics.NOTIFY_ROUTINE, Groups.DISPATCHER_ROUTINE),
        bulk=True,
        **workers(routine_workers),
    )
    async def on_routine_notification_requested(event: NotificationRequested) -> None:
        await on_notification_requested(ctx, event, urgent=False)

    @subscriber(router, topics.PATIENTS, group=group(topics.PATIENTS), bulk=True)
    async def on_patient_event(event: PatientsEvent) -> None:
        await on_patients_event(ctx, event)

    @subscriber(router, topics.CLINICIANS, group=group(topics.CLINICIANS), bulk=True)
    async def on_clinician_event(event: CliniciansEvent) -> None:
        await on_clinicians_event(ctx, event)

    @subscriber(router, topics.SMS_INBOUND, group=group(topics.SMS_INBOUND))
    async def on_inbound_sms_received(event: InboundSmsReceived) -> None:
        await on_inbound_sms(ctx, event)

    @subscriber(router, topics.SMS_STATUS, group=group(topics.SMS_STATUS), bulk=True)
    async def on_sms_status_received(event: SmsStatusReceived) -> None:
        await on_sms_status(ctx, event)

    return router
