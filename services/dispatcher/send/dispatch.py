"""One NotificationRequested, end to end: claim, rules, render, exactly one Twilio send, outcome."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from redis.exceptions import NoScriptError

from services.dispatcher import timers
from services.dispatcher.contacts.directory import Contact
from services.dispatcher.context import IDS, Context, envelope, send_key
from services.dispatcher.rules.caps import counts_against_cap, periods
from services.dispatcher.rules.consent import ConsentFacts
from services.dispatcher.rules.errors import ROUTE_CODES
from services.dispatcher.rules.policy import Ask, Counts, Target, decide
from services.dispatcher.rules.replies import Prompt
from services.dispatcher.send import config_faults, twilio_call
from services.dispatcher.send.followups import answers_the_patient
from services.dispatcher.send.store import Attempt, CapKeys, SidInfo
from services.dispatcher.texts.templates import SiteText, TemplateError, render
from shared.broker import TransientError
from shared.events import (
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    NotificationSuppressed,
)
from shared.idempotency import Claim, ClaimState

log = logging.getLogger("mtm.dispatcher")


async def handle(
    ctx: Context, req: NotificationRequested, *, urgent: bool, attempt: int = 0
) -> None:
    """Turn a request into at most one SMS, and say what happened on mtm.notify.status."""
    key = send_key(req.notification_id, attempt)
    ids = {"notification_id": str(req.notification_id), "attempt": attempt}
    lease = ctx.settings.claim_lease_seconds
    claim, previous, contact = await _claim(ctx, req, key, lease)
    if claim.state is ClaimState.DONE:
        log.info("request already handled; outcome re-published", extra=ids)
        await _replay(ctx, req, key, claim.result or "")
        return
    if claim.state is ClaimState.IN_PROGRESS:
        raise TransientError("this notification is being sent by another worker")
    try:
        async with ctx.store.lease(key, lease_seconds=lease):
            await _process(ctx, req, key, attempt, urgent, contact, previous)
    except BaseException:
        # The attempt record (if any) survives: the next try looks Twilio up first.
        with contextlib.suppress(Exception):
            await ctx.store.release(key)
        raise


async def _claim(
    ctx: Context, req: NotificationRequested, key: str, lease: float
) -> tuple[Claim, Attempt | None, Contact | None]:
    """The claim, any earlier attempt of this send and the recipient, in one round trip."""
    store, directory = ctx.store, ctx.directory
    try:
        async with store.redis.pipeline(transaction=False) as pipe:
            store.queue_claim(pipe, key, lease_seconds=lease)
            directory.queue_get(pipe, req.recipient.kind, req.recipient.id)
            raw_claim, raw_attempt, raw_contact = await pipe.execute()
    except NoScriptError:  # Redis restarted and lost the script: nothing was claimed
        claim = await store.claim(key, lease_seconds=lease)
        previous = await store.attempt(key)
        return claim, previous, await _recipient(ctx, req)
    claim, previous = store.claimed(raw_claim, raw_attempt)
    return claim, previous, directory.contact_of(raw_contact)


async def resubmit(ctx: Context, key: str, *, urgent: bool, attempt: int) -> None:
    """A timer's turn: run the stored request again, rules and all."""
    raw = await ctx.store.request(key)
    if raw is None:
        log.info("nothing to resubmit (already handled)", extra={"send_key": key})
        return
    await handle(
        ctx, NotificationRequested.model_validate_json(raw), urgent=urgent, attempt=attempt
    )


async def _process(
    ctx: Context,
    req: NotificationRequested,
    key: str,
    attempt: int,
    urgent: bool,
    contact: Contact | None,
    previous: Attempt | None,
) -> None:
    now = ctx.clock.now()
    in_reply = await answers_the_patient(ctx.directory, req, contact, now)
    target, caps, counts = await _target(ctx, req, contact, now, in_reply=in_reply)
    ask = Ask(
        category=req.category,
        priority=req.priority,
        recipient_kind=req.recipient.kind,
        requested_at=req.occurred_at,
        patient_chosen_time=req.patient_chosen_time,
        not_before=req.not_before,
        expires_at=req.expires_at,
        in_reply=in_reply,
    )
    decision = decide(ask, target, counts, now, ctx.policy)
    if decision.action in ("wait", "defer") and decision.until is not None:
        await ctx.store.put_request(key, req.model_dump_json())
        resubmit = timers.Resubmit(key=key, urgent=urgent, attempt=attempt)
        await timers.schedule(ctx, resubmit, decision.until)
        await ctx.store.release(key)
        log.info(
            "request deferred",
            extra={
                "notification_id": str(req.notification_id),
                "reason": decision.reason,
                "until": decision.until.isoformat(),
            },
        )
        if decision.reason == "quiet_hours_deferred":
            await _suppressed(ctx, req, key, decision.reason, until=decision.until)
        return
    if decision.action == "suppress":
        await ctx.store.finish(key, f"suppressed:{decision.reason}")
        await _suppressed(ctx, req, key, decision.reason)
        return
    assert contact is not None
    await _send(ctx, req, key, attempt, urgent, contact, caps, previous)


async def _recipient(ctx: Context, req: NotificationRequested) -> Contact | None:
    return await ctx.directory.get(req.recipient.kind, req.recipient.id)


async def _target(
    ctx: Context,
    req: NotificationRequested,
    contact: Contact | None,
    now: datetime,
    *,
    in_reply: bool,
) -> tuple[Target, CapKeys | None, Counts]:
    """Who and where the recipient is, what the number allows, and the cap counts (the
    number's state and the counts are read in one round trip)."""
    if contact is None:
        facts = ConsentFacts(
            recipient_kind=req.recipient.kind, programs=frozenset(), phone_opted_out=False
        )
        window = ctx.window(Contact(kind="", id="", phone=""))
        return Target(phone=None, zone="UTC", window=window, consent=facts), None, Counts()
    programs, discharged = frozenset(contact.programs), contact.discharged
    if contact.kind == "caregiver":
        patient = await ctx.directory.get("patient", req.patient_id or "")
        linked = patient is not None and patient.id in contact.patients
        programs = frozenset(patient.programs) if linked and patient else frozenset()
        discharged = bool(patient and patient.discharged)
    zone = ctx.zone(contact)
    caps = None
    if counts_against_cap(category=req.category, priority=req.priority, in_reply=in_reply):
        day, week = periods(now, zone)
        caps = ctx.store.cap_keys(contact.kind, contact.id, day, week)
    async with ctx.store.redis.pipeline(transaction=False) as pipe:
        ctx.directory.queue_number_state(pipe, contact.phone_key)
        if caps is not None:
            ctx.store.queue_cap_counts(pipe, caps, str(req.notification_id))
        read = await pipe.execute()
    opt_out, invalid = ctx.directory.number_state_of(read[0], read[1])
    counts = ctx.store.counts_of(*read[2:5]) if caps is not None else Counts()
    facts = ConsentFacts(
        recipient_kind=contact.kind,
        programs=programs,
        phone_opted_out=opt_out is not None,
        discharged=discharged,
        confirmation_pending=bool(opt_out and opt_out.confirmation_pending),
        carrier_blocked=bool(opt_out and opt_out.carrier),
    )
    target = Target(
        phone=contact.phone,
        zone=zone,
        window=ctx.window(contact),
        consent=facts,
        number_invalid=invalid,
    )
    return target, caps, counts


async def _send(
    ctx: Context,
    req: NotificationRequested,
    key: str,
    attempt: int,
    urgent: bool,
    contact: Contact,
    caps: CapKeys | None,
    previous: Attempt | None,
) -> None:
    nid = str(req.notification_id)
    site_id, site = ctx.site(contact.site_id)
    try:
        rendered = render(
            req.template_id,
            language=contact.language,
            variables=req.variables,
            site=SiteText(site.display_name, site.help_phone),
            detailed="detailed_content" in contact.programs and contact.kind == "patient",
            zone=ctx.zone(contact),
            per_day=ctx.settings.help_max_per_day,
        )
    except TemplateError as exc:
        log.error(
            "request cannot be rendered",
            extra={"notification_id": nid, "template_id": req.template_id, "error": str(exc)},
        )
        await ctx.store.finish(key, "failed:template")
        await _failed(ctx, req, key, None)
        return
    result = await twilio_call.send_once(
        ctx, req, key, contact, site, rendered.body, urgent=urgent, previous=previous
    )
    if result.outcome in config_faults.REFUSED:
        # Our configuration, not the patient's number: an operator is told, a page tries the
        # site's second sender once.
        await ctx.store.drop_attempt(key)
        await config_faults.warn_once(ctx, req, key, site_id, result)
        if config_faults.may_fall_back(req, urgent, site, result):
            result = await twilio_call.send_once(
                ctx,
                req,
                key,
                contact,
                site,
                rendered.body,
                urgent=True,
                previous=None,
                fallback=True,
            )
            if result.outcome in config_faults.REFUSED:
                await ctx.store.drop_attempt(key)
                await config_faults.warn_once(ctx, req, key, site_id, result)
    if result.outcome == "configuration":
        await config_faults.hold(ctx, req, key, attempt=attempt, urgent=urgent, code=result.code)
        return
    if result.outcome == "duplicate":
        await ctx.store.finish(key, "suppressed:duplicate")
        await _suppressed(ctx, req, key, "duplicate")
        return
    if result.sid is not None:
        await _sent(
            ctx, req, key, attempt, contact, result.sid, result.segments, caps, urgent=urgent
        )
        return
    await twilio_call.settle_failure(ctx, req, key, contact, result.outcome, result.code)
    await ctx.store.finish(key, f"failed:{result.code}")
    await ctx.store.drop_dedup(req.dedup_key, nid)
    # A route fault (21612) is the sender's, not the number's: a later text may get through.
    await _failed(ctx, req, key, result.code, permanent=result.outcome != "route")
    log.info(
        "send failed",
        extra={
            "notification_id": nid,
            "site_id": site_id,
            "error_code": result.code,
            "outcome": result.outcome,
        },
    )


async def _sent(
    ctx: Context,
    req: NotificationRequested,
    key: str,
    attempt: int,
    contact: Contact,
    sid: str,
    segments: int,
    caps: CapKeys | None,
    *,
    urgent: bool,
) -> None:
    info = SidInfo(
        send_key=key,
        notification_id=str(req.notification_id),
        attempt=attempt,
        request=req.model_dump_json(),
    )
    async with ctx.store.pipeline() as pipe:
        if req.reply_context.kind != "none":
            reply = req.reply_context
            ctx.directory.remember(
                pipe,
                contact.phone_key,
                Prompt(
                    kind=reply.kind,
                    ref=reply.ref,
                    notification_id=str(req.notification_id),
                    recipient_kind=contact.kind,
                    recipient_id=contact.id,
                    sent_at=ctx.clock.now(),
                    patient_id=req.patient_id,
                    extra=dict(reply.extra),
                ),
            )
        if req.category == "opt_out_confirmation":
            await ctx.directory.confirmation_sent(contact.phone_key, pipe)
        ours = await ctx.store.record_sent(pipe, send_key=key, sid=sid, info=info, caps=caps)
    if not ours:
        # Our lease lapsed and another worker holds the send: it will find this SID at
        # Twilio (the attempt record is still there) and record and announce it.
        log.warning(
            "send lease lost before recording; left to the new holder",
            extra={"notification_id": str(req.notification_id), "message_sid": sid},
        )
        return
    ctx.metrics.sent.labels(lane="urgent" if urgent else "routine").inc()
    log.info(
        "sms sent",
        extra={
            "notification_id": str(req.notification_id),
            "message_sid": sid,
            "attempt": attempt,
        },
    )
    await _publish_sent(ctx, req, key, sid, segments)


async def _replay(ctx: Context, req: NotificationRequested, key: str, result: str) -> None:
    kind, _, detail = result.partition(":")
    if kind == "sent":
        await _publish_sent(ctx, req, key, detail, 1)
    elif kind == "suppressed":
        await _suppressed(ctx, req, key, detail, count=False)
    elif kind == "failed":
        code = int(detail) if detail.isdigit() else None
        await _failed(ctx, req, key, code, count=False, permanent=code not in ROUTE_CODES)


async def _publish_sent(
    ctx: Context, req: NotificationRequested, key: str, sid: str, segments: int
) -> None:
    await ctx.publish(
        NotificationSent(
            event_id=IDS.id(key, "sent"),
            notification_id=req.notification_id,
            message_sid=sid,
            recipient=req.recipient,
            category=req.category,
            segments=max(segments, 1),
            **envelope(req),
        )
    )


async def _suppressed(
    ctx: Context,
    req: NotificationRequested,
    key: str,
    reason: str,
    *,
    until: datetime | None = None,
    count: bool = True,
) -> None:
    if count:
        ctx.metrics.suppressed.labels(reason=reason).inc()
    await ctx.publish(
        NotificationSuppressed(
            event_id=IDS.id(key, "suppressed", reason, until.isoformat() if until else ""),
            notification_id=req.notification_id,
            recipient=req.recipient,
            category=req.category,
            reason=reason,  # type: ignore[arg-type]
            deferred_until=until,
            **envelope(req),
        )
    )


async def _failed(
    ctx: Context,
    req: NotificationRequested,
    key: str,
    code: int | None,
    *,
    count: bool = True,
    permanent: bool = True,
) -> None:
    if count:
        ctx.metrics.failed.labels(stage="send").inc()
    await ctx.publish(
        NotificationFailed(
            event_id=IDS.id(key, "failed", code),
            notification_id=req.notification_id,
            recipient=req.recipient,
            category=req.category,
            error_code=code,
            permanent=permanent,
            stage="send",
            **envelope(req),
        )
    )
