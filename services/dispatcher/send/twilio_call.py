"""The Twilio call itself: rate limit, bounded retries of 429, and reconciliation of ambiguity.

A 429 was never processed, so it is retried after a back-off. A 5xx or no answer may have sent
the message (Twilio's 20500), so before any retry we list the number's messages since the
attempt began and match ours on body and sender; only when Twilio has none do we send again.
A refusal is returned as its outcome (rules/errors.py); what a refusal of our configuration
does is in config_faults.py.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.dispatcher.contacts.directory import Contact
from services.dispatcher.context import Context
from services.dispatcher.rules.errors import backoff, classify_send_error
from services.dispatcher.send.store import Attempt
from services.dispatcher.sender import Found, Outbound, SendFailed
from services.dispatcher.settings import SiteSettings
from shared.broker import TransientError

log = logging.getLogger("mtm.dispatcher")

# Twilio's clock and ours differ a little; a message created slightly "before" the attempt
# began is still ours.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class Result:
    sid: str | None = None
    segments: int = 1
    outcome: str = ""
    code: int | None = None
    http_status: int | None = None
    sender: str = ""
    """The sender the send went through (the site's, or its fallback for a page)."""


_JITTER = random.Random()


async def send_once(
    ctx: Context,
    req: Any,
    key: str,
    contact: Contact,
    site: SiteSettings,
    body: str,
    *,
    urgent: bool,
    previous: Attempt | None,
    fallback: bool = False,
) -> Result:
    """Send unless an earlier attempt of this key already reached Twilio, or another
    notification holds the business key (outcome "duplicate", nothing sent). `fallback`: from
    the site's second sender (a page whose sender Twilio refused)."""
    message = Outbound(
        to=contact.phone,
        body=body,
        from_number=site.fallback_from_number if fallback else site.from_number,
        messaging_service_sid=None if fallback else site.messaging_service_sid,
        status_callback=ctx.settings.status_callback_url,
    )
    sender = message.messaging_service_sid or message.from_number or ""
    # Twilio stamps messages with real time, so the reconciliation window uses the wall
    # clock, not the service clock (which the demo and the tests move by hand).
    started = datetime.now(UTC)
    if previous is not None:
        # A crash (or an exhausted retry) left this attempt unresolved: did it go out?
        since = datetime.fromisoformat(previous.started_at)
        found = await _lookup_or_raise(ctx, previous.outbound(), since, key)
        if found is not None:
            log.info(
                "earlier attempt found at Twilio; not sending again",
                extra={"message_sid": found.sid},
            )
            return Result(sid=found.sid, sender=sender)
        started = since
    # The business key, the attempt record and the rate slot in one step; urgent texts
    # take the slot without waiting for it.
    delay = await ctx.store.begin_send(
        key,
        dedup_key=req.dedup_key,
        notification_id=str(req.notification_id),
        message=message,
        started=started,
        limiter=ctx.limiter,
        sender=sender,
    )
    if delay is None:
        return Result(outcome="duplicate", sender=sender)
    if delay > 0 and not urgent:
        await asyncio.sleep(delay)
    return replace(await _create(ctx, message, started, key), sender=sender)


async def _create(ctx: Context, message: Outbound, started: datetime, key: str) -> Result:
    s = ctx.settings
    rate_limited = ambiguous = 0
    maybe_sent = False
    while True:
        if maybe_sent:
            try:
                found = await _lookup(ctx, message, started, key)
            except SendFailed:
                found, lookup_failed = None, True
            else:
                lookup_failed = False
            ctx.metrics.reconciled.labels(found=str(found is not None).lower()).inc()
            if found is not None:
                return Result(sid=found.sid)
            if lookup_failed:
                ambiguous += 1
            if ambiguous > s.max_ambiguous_retries:
                # The attempt record stays: whoever retries looks Twilio up first.
                raise TransientError("twilio keeps failing; send left unresolved")
            if lookup_failed:
                await _sleep(ctx, ambiguous)
                continue
        try:
            accepted = await ctx.sender.send(message)
        except SendFailed as exc:
            outcome = classify_send_error(http_status=exc.http_status, code=exc.code)
            if outcome == "retry":
                rate_limited += 1
                if rate_limited > s.max_429_retries:
                    if not maybe_sent:
                        # Every try was refused unprocessed: nothing can have gone out.
                        await ctx.store.drop_attempt(key)
                    raise TransientError("twilio keeps rate limiting") from exc
                log.info("twilio rate limited; backing off", extra={"attempt": rate_limited})
                await _sleep(ctx, rate_limited)
                continue
            if outcome == "ambiguous":
                ambiguous += 1
                log.warning(
                    "ambiguous twilio answer; will look it up",
                    extra={
                        "http_status": exc.http_status,
                        "error_code": exc.code,
                        "attempt": ambiguous,
                    },
                )
                maybe_sent = True
                await asyncio.sleep(s.ambiguous_settle_seconds)
                continue
            return Result(outcome=outcome, code=exc.code, http_status=exc.http_status)
        return Result(sid=accepted.sid, segments=accepted.segments)


async def _sleep(ctx: Context, attempt: int) -> None:
    s = ctx.settings
    await asyncio.sleep(
        backoff(
            attempt,
            base=s.backoff_base_seconds,
            cap=s.backoff_max_seconds,
            jitter=_JITTER.random(),
        )
    )


async def _lookup_or_raise(
    ctx: Context, message: Outbound, since: datetime, key: str
) -> Found | None:
    try:
        return await _lookup(ctx, message, since, key)
    except SendFailed as exc:
        raise TransientError("cannot look up an unresolved send") from exc


async def _lookup(ctx: Context, message: Outbound, since: datetime, key: str) -> Found | None:
    """Our message among the number's messages since `since`, not claimed by another send."""
    candidates = []
    for found in await ctx.sender.find(message, since=since):
        if not message.same_message(found):
            continue
        if found.created is not None and found.created < since - CLOCK_SKEW:
            continue
        owner = await ctx.store.sid_info(found.sid)
        if owner is not None and owner.send_key != key:
            continue
        candidates.append(found)
    candidates.sort(key=lambda f: f.created or since)
    return candidates[0] if candidates else None


async def settle_failure(
    ctx: Context, req: Any, key: str, contact: Contact, outcome: str, code: int | None
) -> None:
    """Record what a refusal says about the number: unsubscribed (21610) or invalid (a route
    fault, 21612, says nothing about it)."""
    await ctx.store.drop_attempt(key)
    phone = contact.phone_key
    if outcome == "opted_out":
        now = ctx.clock.now()
        evidence = f"twilio-{code}:{req.notification_id}"
        # No confirmation text: the carrier already blocks this number for us. A number the
        # ledger already had opted out is only marked blocked: no second consent event.
        record = await ctx.directory.opt_out(
            phone, evidence=evidence, at=now, confirm=False, carrier=True
        )
        if record.evidence != evidence:
            return
        await ctx.announce_consent(
            phone,
            status="revoked",
            channel="carrier",
            evidence=evidence,
            correlation_id=req.correlation_id,
        )
    elif outcome == "invalid_number":
        await ctx.directory.mark_invalid(phone, code or 0)
