"""The daily digest of a site's P2/P3 alerts: counts only, to the director or the on-call.

One durable timer per site (a `timers.DigestDue`: namespace `digest`, key = site id) at the
configured local time, in the site's zone (a DST day is 23 or 25 hours long; the digest stays at
its wall-clock time).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from redis.asyncio.client import Pipeline

from services.escalation import outbox as ob
from services.escalation.context import Context
from services.escalation.model import AlertState
from services.escalation.rules import messages as msg
from services.escalation.rules.policy import resolve

if TYPE_CHECKING:  # timers.py fires the digest
    from services.escalation.timers import DigestDue

log = logging.getLogger("mtm.escalation.digest")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def fire_digest(ctx: Context, timer: DigestDue) -> None:
    """Send a site's digest (or, with nobody to receive it, keep it for tomorrow)."""
    sent = await ctx.store.transact(lambda pipe: _commit(ctx, pipe, timer))
    if sent:
        log.info("digest queued", extra=sent)
    await ctx.outbox.flush(ob.digest_stream(timer.site_id))


async def _recipient(ctx: Context, site_id: str, at: datetime) -> str | None:
    site = await ctx.store.roster(site_id)
    network = await ctx.store.network_roster(ctx.config.network_site)
    director = resolve("director", site=site, network=network, at=at)
    if director.clinician_id and not director.network_fallback:
        return director.clinician_id
    primary = resolve("primary", site=site, network=network, at=at)
    return primary.clinician_id or director.clinician_id


async def _commit(ctx: Context, pipe: Pipeline, timer: DigestDue) -> dict[str, Any] | None:
    store, keys, site_id = ctx.store, ctx.store.keys, timer.site_id
    await pipe.watch(keys.digest(site_id))
    ids = sorted(
        m.decode() if isinstance(m, bytes) else m for m in await pipe.smembers(keys.digest(site_id))
    )
    if not ids:
        return None
    await pipe.watch(*(keys.alert(i) for i in ids))
    states: list[AlertState] = []
    for alert_id in ids:
        state = await store.alert(alert_id, via=pipe)
        if state is not None and state.status == "queued":
            states.append(state)
    dedup_keys = [keys.dedup(s.dedup_key) for s in states]
    if dedup_keys:
        await pipe.watch(*dedup_keys)
    holders = [await pipe.get(k) for k in dedup_keys]
    now = ctx.clock.now()
    roster = await store.roster(site_id)
    zone = ctx.site_zone(site_id, roster.zone if roster else None)
    local_date = now.astimezone(ZoneInfo(zone)).date().isoformat()
    recipient = await _recipient(ctx, site_id, now)
    counts: Counter[str] = Counter()
    for state in states:
        counts[state.severity] += state.count
    ops: list[ob.Op] = []
    pipe.multi()
    if recipient is None:
        # Keep the items for tomorrow's digest, and tell an operator today.
        due = ctx.next_digest(site_id, now + timedelta(seconds=1), zone)
        ops.append(
            ob.publish(
                msg.warning(
                    kind="no_one_on_call",
                    site_id=site_id,
                    key=f"digest:{site_id}:{local_date}",
                    detail="nobody to receive the daily digest",
                    now=now,
                )
            )
        )
        ops.append(timer.op(due))
    else:
        if states:
            ops.append(
                ob.publish(
                    msg.digest_request(
                        site_id=site_id,
                        local_date=local_date,
                        clinician_id=recipient,
                        counts=dict(counts),
                        now=now,
                    )
                )
            )
        for state, key, holder in zip(states, dedup_keys, holders, strict=True):
            store.put_alert(pipe, state.model_copy(update={"status": "digested"}))
            if holder is not None and _text(holder) == state.alert_id:
                pipe.delete(key)
        pipe.delete(keys.digest(site_id))
    ctx.outbox.stage(pipe, ob.digest_stream(site_id), ops)
    return {
        "site_id": site_id,
        "counts": dict(counts),
        "clinician_id": recipient,
        "local_date": local_date,
    }
