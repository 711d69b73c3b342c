"""A send Twilio refused for our configuration, not for the patient (rules/errors.py): the
credentials (20003), the account (20404), a site's sender (21606, 21408) or a sender/recipient
pair it cannot route (21612).

The number is never marked invalid or opted out. An operator hears of it once per fault
(`OperationalWarning(twilio_configuration)`, at most one per account or sender and code every
`config_warning_every_seconds`). A page tries the site's second sender once (a sender's fault
only: the same credentials fail for every sender). A configuration fault holds the notification:
its stored request runs again on a durable `Resubmit` timer with a growing back-off, under the
same send key (so it can never go out twice), until the configuration is fixed or the request
expires (then it is suppressed as `expired`, as any late request is).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from services.dispatcher import timers
from services.dispatcher.context import IDS, SOURCE, Context
from services.dispatcher.rules.errors import backoff, fault_scope
from services.dispatcher.send.twilio_call import Result
from services.dispatcher.settings import SiteSettings
from shared.events import NotificationRequested, OperationalWarning

log = logging.getLogger("mtm.dispatcher")

REFUSED = ("configuration", "route")
"""Outcomes that are our configuration's fault (rules/errors.py)."""

_MEANING = {
    20003: "the account SID / auth token were refused (a rotated token?)",
    20404: "the account SID was not found (a wrong or closed account?)",
    21606: "the sender cannot send SMS to this destination",
    21408: "SMS to the recipient's region is not enabled on the account",
    21612: "the sender/recipient pair cannot be routed",
}

_JITTER = random.Random()


def is_page(req: NotificationRequested, urgent: bool) -> bool:
    return urgent and req.recipient.kind == "clinician"


def may_fall_back(req: NotificationRequested, urgent: bool, site: SiteSettings, r: Result) -> bool:
    """A page whose sender (not the whole account) was refused, at a site with a second one."""
    scope = fault_scope(code=r.code, http_status=r.http_status, sender=r.sender)
    return (
        is_page(req, urgent)
        and site.fallback_from_number is not None
        and site.fallback_from_number != r.sender
        and scope != "account"
    )


async def warn_once(
    ctx: Context, req: NotificationRequested, key: str, site_id: str, r: Result
) -> None:
    """One OperationalWarning per fault (scope and code) every `config_warning_every_seconds`."""
    scope = fault_scope(code=r.code, http_status=r.http_status, sender=r.sender)
    name = f"{scope}:{r.code or r.http_status}"
    if not await ctx.store.open_fault(name, seconds=ctx.settings.config_warning_every_seconds):
        return
    about = "the account" if scope == "account" else f"sender {r.sender} of site {site_id}"
    meaning = _MEANING.get(r.code or 0, f"HTTP {r.http_status}")
    log.error(
        "twilio refused our configuration; sends are held",
        extra={"site_id": site_id, "error_code": r.code, "http_status": r.http_status},
    )
    then = (
        "its texts wait and are retried until it is fixed"
        if r.outcome == "configuration"
        else "texts it cannot route fail, the numbers stay valid"
    )
    try:
        await ctx.publish(
            OperationalWarning(
                event_id=IDS.id(key, "config-fault", name),
                warning="twilio_configuration",
                site_id=site_id,
                detail=f"twilio refused {about} ({r.code or r.http_status}): {meaning}; {then}"[
                    :256
                ],
                source=SOURCE,
                correlation_id=req.correlation_id or str(req.event_id),
            )
        )
    except BaseException:
        await ctx.store.forget_fault(name)
        raise


async def hold(
    ctx: Context,
    req: NotificationRequested,
    key: str,
    *,
    attempt: int,
    urgent: bool,
    code: int | None,
) -> None:
    """Try the request again later (same send key), sooner if it expires before then."""
    s = ctx.settings
    held = await ctx.store.hold(key)
    wait = backoff(
        held,
        base=s.config_retry_base_seconds,
        cap=s.config_retry_max_seconds,
        jitter=_JITTER.random(),
    )
    due = ctx.clock.now() + timedelta(seconds=wait)
    if req.expires_at is not None:
        due = min(due, req.expires_at)
    await ctx.store.put_request(key, req.model_dump_json())
    await timers.schedule(ctx, timers.Resubmit(key=key, urgent=urgent, attempt=attempt), due)
    await ctx.store.release(key)
    log.warning(
        "send held: twilio refused our configuration",
        extra={
            "notification_id": str(req.notification_id),
            "error_code": code,
            "held": held,
            "until": due.isoformat(),
        },
    )
