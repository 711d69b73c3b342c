"""Typed events from understood replies; a reply only ever changes the sender's own records."""

from __future__ import annotations

import logging
from typing import Any

from services.dispatcher.context import IDS, SOURCE, Context
from services.dispatcher.inbound.reask import reask
from services.dispatcher.rules.replies import Intent, Prompt
from shared.events import (
    AlertAcknowledged,
    AlertResolved,
    AppointmentChangeRequested,
    AppointmentConfirmed,
    DoseSkipped,
    DoseTaken,
    Event,
    InboundSmsReceived,
    QuestionnaireItemAnswered,
)
from shared.logging import security_event

log = logging.getLogger("mtm.dispatcher")


async def publish(
    ctx: Context, event: InboundSmsReceived, key: str, intent: Intent, *, crisis: bool = False
) -> bool:
    """`crisis`: the text had crisis language, so it is no unclear answer to ask again.
    False when the reply was not understood (a person must read it)."""
    sid = event.message_sid
    prompt = intent.prompt
    ids = {"message_sid": sid, "intent": intent.kind}
    if intent.kind == "page_unmatched":
        security_event(
            "page_code_not_paged",
            service="dispatcher",
            message_sid=sid,
            code_given=intent.code is not None,
        )
        return True
    if prompt is not None and prompt.kind == "checkin" and intent.kind == "unrecognized":
        if not crisis and await _still_theirs(ctx, prompt, key):
            await _reask(ctx, event, prompt)
        return True
    if prompt is None or intent.kind == "unrecognized":
        log.info(
            "reply not understood", extra={**ids, "prompt_kind": prompt.kind if prompt else ""}
        )
        return False
    if not await _still_theirs(ctx, prompt, key):
        security_event(
            "reply_for_record_not_owned",
            service="dispatcher",
            message_sid=sid,
            intent=intent.kind,
            recipient_kind=prompt.recipient_kind,
            recipient_id=prompt.recipient_id,
            notification_id=prompt.notification_id,
        )
        return True
    reply = _event(event, intent, prompt)
    if reply is None:
        log.info("reply cannot become an event", extra=ids)
        return False
    if reply.site_id is None:
        # The replier's site: an alert raised on a reply (item 9 of an SMS check-in) goes to
        # that site's on-call roster, not to the network fallback.
        contact = await ctx.directory.get(prompt.recipient_kind, prompt.recipient_id)
        if contact is not None and contact.site_id:
            reply = reply.model_copy(update={"site_id": contact.site_id})
    log.info(
        "reply understood",
        extra={
            **ids,
            "notification_id": prompt.notification_id,
            "patient_id": reply.patient_id or "",
        },
    )
    await ctx.publish(reply)
    return True


async def _reask(ctx: Context, event: InboundSmsReceived, prompt: Prompt) -> None:
    request = reask(prompt, event, now=ctx.clock.now())
    ids = {"message_sid": event.message_sid, "notification_id": prompt.notification_id}
    if request is None:
        log.info("unclear check-in answer after the re-ask; not asked again", extra=ids)
        return
    log.info("unclear check-in answer; item asked again", extra=ids)
    await ctx.publish(request)


async def _still_theirs(ctx: Context, prompt: Prompt, key: str) -> bool:
    """The prompt's recipient still uses the sender's number (no one else's records)."""
    contact = await ctx.directory.get(prompt.recipient_kind, prompt.recipient_id)
    return contact is not None and contact.phone_key == key


def _event(event: InboundSmsReceived, intent: Intent, prompt: Prompt) -> Event | None:
    sid = event.message_sid
    common: dict[str, Any] = {
        "event_id": IDS.id(sid, "reply", intent.kind),
        "source": SOURCE,
        "correlation_id": str(event.event_id),
    }
    # The sender's own record: the patient the prompt went to, never an id from elsewhere.
    patient = prompt.recipient_id if prompt.recipient_kind == "patient" else None
    if intent.kind.startswith("page_"):
        if prompt.recipient_kind != "clinician" or intent.code is None:
            return None
        about = {
            "alert_id": prompt.extra.get("alert_id"),
            "code": intent.code,
            "clinician_id": prompt.recipient_id,
            "patient_id": prompt.patient_id,
            **common,
        }
        if intent.kind == "page_ack":
            return AlertAcknowledged(message_sid=sid, **about)
        return AlertResolved(**about)
    if prompt.recipient_kind != "patient" or patient is None:
        return None
    if intent.kind in ("dose_taken", "dose_skipped"):
        plan_id = prompt.extra.get("plan_id") or prompt.ref.split(":", 1)[0]
        if intent.kind == "dose_taken":
            return DoseTaken(
                patient_id=patient,
                plan_id=plan_id,
                dose_id=prompt.ref,
                taken_at=event.received_at,
                message_sid=sid,
                **common,
            )
        return DoseSkipped(
            patient_id=patient,
            plan_id=plan_id,
            dose_id=prompt.ref,
            reported_at=event.received_at,
            message_sid=sid,
            **common,
        )
    if intent.kind == "appt_confirm":
        return AppointmentConfirmed(
            patient_id=patient, appointment_id=prompt.ref, message_sid=sid, **common
        )
    if intent.kind in ("appt_reschedule", "appt_cancel"):
        return AppointmentChangeRequested(
            patient_id=patient,
            appointment_id=prompt.ref,
            message_sid=sid,
            request="reschedule" if intent.kind == "appt_reschedule" else "cancel",
            **common,
        )
    if intent.kind == "checkin_answer" and intent.value is not None:
        extra = prompt.extra
        session = extra.get("session_id") or prompt.ref
        if not session or not {"instrument", "item"} <= extra.keys():
            return None
        return QuestionnaireItemAnswered(
            patient_id=patient,
            session_id=session,
            instrument=extra["instrument"],  # type: ignore[arg-type]
            item=extra["item"],
            value=intent.value,
            values=list(intent.values),
            message_sid=sid,
            **common,
        )
    return None
