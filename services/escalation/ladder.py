"""Firing an alert's next step: page whom the ladder says, audit it, schedule the step after.

One durable timer per alert (a `timers.LadderStep`: key = alert id, payload = the step it is
due to fire; after an ACK the same timer is the alert's resolve-by check, see unresolved.py).
Firing step N claims `alert:<id>:step:<N>` (`Once.commit`), then in one transaction records the
step in the alert's state, completes the claim and queues the pages, the audit events and the
next timer in the outbox. A worker that dies before the commit leaves the timer leased: it fires
again after the lease and does step N then. A worker that dies after it leaves step N recorded:
the re-fired timer finds the alert past N and only flushes what the outbox still holds. No step
is skipped and none is paged twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis.asyncio.client import Pipeline

from services.escalation import outbox as ob
from services.escalation.context import Context
from services.escalation.model import AlertState, Page
from services.escalation.rules import messages as msg
from services.escalation.rules.policy import Step, repeat_targets, resolve, wait_before
from services.escalation.rules.reach import after_undelivered, within_caps
from services.escalation.rules.roster import on_call
from shared.idempotency import ClaimBusy

if TYPE_CHECKING:  # timers.py fires this module's steps
    from services.escalation.timers import LadderStep

log = logging.getLogger("mtm.escalation.ladder")


def _firable(state: AlertState | None, step: int) -> bool:
    return state is not None and state.status == "open" and state.next_step == step


async def fire_step(ctx: Context, timer: LadderStep) -> None:
    """Fire ladder step `timer.step`, once: a step another worker committed only flushes the
    outbox; one another worker holds raises ClaimBusy (the timer fires again later)."""
    alert_id, step = timer.alert_id, timer.step
    if _firable(await ctx.store.alert(alert_id), step):
        fired = await ctx.once.commit(
            timer.claim, lambda: ctx.store.transact(lambda pipe: _commit(ctx, pipe, timer))
        )
        if fired is not None:
            log.info("step fired", extra=fired)
            if fired["next_due"] is None:
                log.warning("ladder exhausted; alert stays open", extra={"alert_id": alert_id})
    await ctx.outbox.flush(ob.alert_stream(alert_id))


def page_ops_for(
    ctx: Context,
    state: AlertState,
    step: int,
    clinician_id: str,
    role: str,
    now: datetime,
    *,
    reminder: bool = False,
) -> tuple[Page, list[ob.Op]]:
    """A page of step `step` (or an unresolved reminder to the acknowledger) and its audit."""
    assert state.code is not None  # an open or acknowledged alert always has its code
    request = (msg.reminder_request if reminder else msg.page_request)(
        alert_id=state.alert_id,
        site_id=state.site_id,
        code=state.code,
        severity=state.severity,
        site_name=ctx.config.site_name(state.site_id),
        step=step,
        clinician_id=clinician_id,
        now=now,
    )
    page = Page(
        step=step,
        clinician_id=clinician_id,
        notification_id=str(request.notification_id),
        role=role,
    )
    audit = msg.paged(
        alert_id=state.alert_id,
        patient_id=state.patient_id,
        site_id=state.site_id,
        code=state.code,
        step=step,
        clinician_id=clinician_id,
        role=role,
        notification_id=page.notification_id,
        severity=state.severity,
        now=now,
    )
    return page, [ob.publish(request), ob.publish(audit)]


@dataclass
class Targets:
    """Whom a step pages (clinician, role), the operator warnings it raises, and why it pages
    nobody when it does (`nobody`: nobody at all is on call, as opposed to all unreachable)."""

    pages: list[tuple[str, str]] = field(default_factory=list)
    ops: list[ob.Op] = field(default_factory=list)
    nobody: bool = False
    fallback: bool = False


async def page_targets(
    ctx: Context,
    state: AlertState,
    rung: Step | None,
    step: int,
    now: datetime,
    *,
    fallback: bool = False,
) -> Targets:
    """Whom this step pages, and the operator warnings it raises; `fallback`: every rung of the
    site failed to deliver, the fallback roster is paged instead."""
    if fallback:
        return await _fallback_targets(ctx, state, now)
    if rung is None:
        return Targets()
    site = await ctx.store.roster(state.site_id)
    network = await ctx.store.network_roster(ctx.config.network_site)
    if rung.is_repeat:
        # Everyone paged so far, and whoever is on call now (a late roster, a shift hand-over),
        # but not a number that already failed for good: a repeat cannot reach it.
        now_on_call = [
            resolve(t, site=site, network=network, at=now).clinician_id
            for t in state.ladder.targets
        ]
        everyone = repeat_targets([*state.paged_ids, *(c for c in now_on_call if c)])
        unreachable = await ctx.store.unreachable()
        # Who a page of this alert already reached first: when a cap holds pages back, it holds
        # back the numbers that have not answered, not the one that can act.
        reached = {p.clinician_id for p in state.pages if p.delivered}
        reachable = sorted(
            (cid for cid in everyone if cid not in unreachable), key=lambda c: c not in reached
        )
        if not everyone:
            return Targets(nobody=True)  # the rungs already warned
        return Targets(pages=[(cid, "repeat") for cid in reachable])
    assert rung.target is not None
    found = resolve(rung.target, site=site, network=network, at=now)
    if not found.network_fallback and found.clinician_id:
        return Targets(pages=[(found.clinician_id, found.role)])
    ops = [_nobody_warning(state, step, now, target=rung.target, found=found.clinician_id)]
    if found.clinician_id:
        return Targets(pages=[(found.clinician_id, found.role)], ops=ops)
    return Targets(nobody=True, ops=ops)


def _nobody_warning(
    state: AlertState,
    step: int,
    now: datetime,
    *,
    target: str,
    found: str | None = None,
) -> ob.Op:
    detail = f"no {target} on call for the site at step {step}; " + (
        "network on-call paged" if found else "nobody to page"
    )
    return ob.publish(
        msg.warning(
            kind="no_one_on_call",
            site_id=state.site_id,
            now=now,
            key=f"{state.alert_id}:{step}",
            detail=detail,
            correlation_id=state.alert_id,
        )
    )


async def _fallback_targets(ctx: Context, state: AlertState, now: datetime) -> Targets:
    """Every rung of the site failed to deliver: the fallback roster's on-call (primary and
    backup at once), and one no_reachable_on_call warning for the alert."""
    config = ctx.config
    fallback_site = config.fallback_site or config.network_site
    roster = (
        await ctx.store.network_roster(config.network_site)
        if config.fallback_site is None
        else await ctx.store.roster(config.fallback_site)
    )
    shift = on_call(roster, now) if roster is not None and roster.site_id != state.site_id else None
    unreachable = await ctx.store.unreachable()
    already = set(state.paged_ids)
    candidates = [("fallback_primary", shift.primary_id)] if shift else []
    if shift is not None and shift.backup_id:
        candidates.append(("fallback_backup", shift.backup_id))
    if not candidates and roster is not None and roster.director_id:
        candidates.append(("fallback_director", roster.director_id))
    pages = [
        (cid, role) for role, cid in candidates if cid not in already and cid not in unreachable
    ]
    who = ", ".join(cid for cid, _ in pages) or "nobody reachable there either"
    warning = ob.publish(
        msg.warning(
            kind="no_reachable_on_call",
            key=state.alert_id,
            now=now,
            site_id=state.site_id,
            alert_id=state.alert_id,
            correlation_id=state.alert_id,
            detail=f"alert {state.code} ({state.severity}): no page to the site's on-call could "
            f"be delivered; fallback {fallback_site}: {who}",
        )
    )
    return Targets(pages=pages, ops=[warning], nobody=not pages, fallback=True)


async def _within_caps(
    ctx: Context, pipe: Pipeline, state: AlertState, targets: Targets, now: datetime
) -> tuple[list[tuple[str, str]], list[ob.Op], list[str]]:
    """The pages of a step that fit the hourly caps, the warning for those held back, and the
    counter keys to increment for the ones kept. The fallback's page is never held back: it is
    the one page of an alert whose every rung failed (counted all the same)."""
    config, keys = ctx.config, ctx.store.keys
    # An hour of the ladder's time: TIME_SCALE shortens it with every other wait.
    hour = str(int(now.timestamp() // (3600 * config.time_scale)))
    alert_key = keys.pages_in_hour("alert", state.alert_id, hour)
    sent = int(await pipe.get(alert_key) or 0)
    kept: list[tuple[str, str]] = []
    counters: list[str] = []
    held: list[str] = []
    for cid, role in targets.pages:
        clinician_key = keys.pages_in_hour("clinician", cid, hour)
        to_them = int(await pipe.get(clinician_key) or 0) + counters.count(clinician_key)
        if targets.fallback or within_caps(
            alert_pages=sent + len(kept),
            clinician_pages=to_them,
            per_alert=config.max_pages_per_alert_per_hour,
            per_clinician=config.max_pages_per_clinician_per_hour,
        ):
            kept.append((cid, role))
            counters += [alert_key, clinician_key]
        else:
            held.append(cid)
    ops = []
    if held:
        ops.append(
            ob.publish(
                msg.warning(
                    kind="page_cap_reached",
                    key=f"{state.alert_id}:{hour}",
                    now=now,
                    site_id=state.site_id,
                    alert_id=state.alert_id,
                    correlation_id=state.alert_id,
                    detail=f"alert {state.code}: {len(held)} page(s) held back this hour by the "
                    f"per-alert or per-clinician cap",
                )
            )
        )
    return kept, ops, counters


async def _commit(ctx: Context, pipe: Pipeline, timer: LadderStep) -> dict[str, Any] | None:
    store, keys = ctx.store, ctx.store.keys
    alert_id, step = timer.alert_id, timer.step
    await pipe.watch(keys.alert(alert_id))
    state = await store.alert(alert_id, via=pipe)
    if state is None or not _firable(state, step):
        return None
    assert state.code is not None  # an open alert always has its code
    now = ctx.clock.now()
    plan = state.ladder
    rung = state.step_plan(step)
    ops: list[ob.Op] = []
    ids = {"alert_id": alert_id, "patient_id": state.patient_id, "site_id": state.site_id}
    if state.step >= 0 or state.next_reason == "severity_raised":
        ops.append(
            ob.publish(
                msg.escalated(
                    **ids,
                    from_step=max(state.step, 0),
                    to_step=step,
                    reason=state.next_reason,
                    now=now,
                )
            )
        )
    fallback = state.next_reason == "unreachable" and not state.fallback_paged
    found = await page_targets(ctx, state, rung, step, now, fallback=fallback)
    ops.extend(found.ops)
    targets, capped, counters = await _within_caps(ctx, pipe, state, found, now)
    ops.extend(capped)
    pages = []
    for clinician_id, role in targets:
        page, page_ops = page_ops_for(ctx, state, step, clinician_id, role, now)
        pages.append(page)
        ops.extend(page_ops)
    # A round that found nobody at all, and the fallback's step, are not repeat rounds: the
    # ladder still has all of its MAX_REPEATS after them.
    idle = found.fallback or (found.nobody and rung is not None and rung.is_repeat)
    idle_rounds = state.idle_rounds + (1 if idle else 0)
    wait = wait_before(plan, step + 1 - state.base - idle_rounds)
    if found.nobody and wait is not None:
        # Nobody at all to page: go straight on to the next rung; after the last, look again
        # soon (those looks do not count as repeat rounds).
        retry = ctx.config.nobody_retry_seconds * ctx.config.time_scale
        wait = 0.0 if rung is not None and not rung.is_repeat else min(wait, retry)
    reason = "no_one_on_call" if found.nobody and not found.fallback else "no_ack"
    state = state.model_copy(
        update={
            "step": step,
            "next_step": step + 1,
            "pages": [*state.pages, *pages],
            "fallback_paged": state.fallback_paged or found.fallback,
            "idle_rounds": idle_rounds,
        }
    )
    if rung is not None and not rung.is_repeat and not pages and not found.fallback:
        # A rung that paged nobody (nobody on call, or every page held back by a cap) is a rung
        # that failed: on at once, to the fallback once every rung has failed.
        wait, reason = _after_silent_rung(state, wait, reason)
    due = now + timedelta(seconds=wait) if wait is not None else None
    if due is None:
        ops.append(_exhausted_warning(state, now))
    state = state.model_copy(update={"next_due": due, "next_reason": reason})
    if due is not None:
        ops.append(timer.next().op(due))
    if not await ctx.once.claims.complete(timer.claim, pipe=pipe):
        raise ClaimBusy(timer.claim)
    store.put_alert(pipe, state)
    for page in pages:
        pipe.set(keys.notification(page.notification_id), alert_id, ex=store.retention)
    for counter in counters:
        pipe.incr(counter)
        pipe.expire(counter, 2 * 3600)
    ctx.outbox.stage(pipe, ob.alert_stream(alert_id), ops)
    return {
        "alert_id": alert_id,
        "code": state.code,
        "step": step,
        "site_id": state.site_id,
        "clinician_ids": [c for c, _ in targets],
        "next_due": due,
    }


def _after_silent_rung(
    state: AlertState, wait: float | None, reason: str
) -> tuple[float | None, str]:
    """The wait and reason after a rung step that paged nobody (see `_commit`)."""
    action = after_undelivered(
        next_step=state.step_plan(state.next_step),
        rungs_failed=state.rungs_failed,
        fallback_paged=state.fallback_paged,
    )
    if action == "next_rung":
        return 0.0, reason
    if action == "fallback":
        return 0.0, "unreachable"
    return wait, reason


def _exhausted_warning(state: AlertState, now: datetime) -> ob.Op:
    """The ladder is used up and nobody acknowledged: the alert stays open (the console shows
    it) and an operator must take it from here; once per alert."""
    return ob.publish(
        msg.warning(
            kind="ladder_exhausted",
            key=f"{state.alert_id}:{state.base}",
            now=now,
            site_id=state.site_id,
            alert_id=state.alert_id,
            correlation_id=state.alert_id,
            detail=f"alert {state.code} ({state.severity}): every rung and repeat paged, "
            "no acknowledgement; the alert stays open",
        )
    )
