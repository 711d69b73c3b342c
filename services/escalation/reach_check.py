"""The roster check ahead of time: every day at REACH_CHECK_TIME (site-local) and whenever a
roster, a clinician or a page's outcome changes, the next REACH_CHECK_HOURS of each site's
on-call are checked for people who cannot be paged; a problem is an OperationalWarning the day
before, not a silent failure at 3 a.m."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.escalation.context import Context
from services.escalation.rules import messages as msg
from services.escalation.rules.localtime import local_label, to_utc
from services.escalation.rules.reach import unpageable_on_call

log = logging.getLogger("mtm.escalation.reach")


async def check_site(ctx: Context, site_id: str, now: datetime) -> int:
    """Check one site's next hours; returns the number of problems found (warned once a day
    for the same problems)."""
    store = ctx.store
    roster = await store.roster(site_id)
    if roster is None:
        return 0
    end = now + timedelta(hours=ctx.config.reach_check_hours)
    known = {
        cid
        for cid in {s.primary_id for s in (*roster.shifts, *roster.overrides)}
        | {s.backup_id for s in (*roster.shifts, *roster.overrides) if s.backup_id}
        | ({roster.director_id} if roster.director_id else set())
        if await store.clinician(cid) is not None
    }
    problems = unpageable_on_call(
        roster,
        start=now,
        end=end,
        registered=known.__contains__,
        unreachable=await store.unreachable(),
    )
    if not problems:
        return 0
    day = now.astimezone(ZoneInfo(roster.zone)).date().isoformat()
    said = "; ".join(
        f"{p.clinician_id} ({p.role} from {local_label(p.first_at, roster.zone)}) {p.why}"
        for p in problems
    )
    fingerprint = hashlib.sha256(said.encode()).hexdigest()[:16]
    warning = msg.warning(
        kind="on_call_unreachable",
        key=f"{site_id}:{day}:{fingerprint}",
        now=now,
        site_id=site_id,
        clinician_id=problems[0].clinician_id,
        detail=f"next {ctx.config.reach_check_hours} h: {said}",
    )
    await ctx.outbox.publish(f"reach:{site_id}", [warning])
    log.warning("on-call cannot be paged", extra={"site_id": site_id, "problems": len(problems)})
    return len(problems)


async def check_sites_of(ctx: Context, clinician_id: str, now: datetime) -> None:
    """After a change to one clinician: the sites they cover, or whose roster names them."""
    record = await ctx.store.clinician(clinician_id) or {}
    sites = set(record.get("sites") or ())
    for roster in await ctx.store.rosters():
        names = {s.primary_id for s in (*roster.shifts, *roster.overrides)}
        names |= {s.backup_id for s in (*roster.shifts, *roster.overrides) if s.backup_id}
        if clinician_id in names or clinician_id == roster.director_id:
            sites.add(roster.site_id)
    for site_id in sorted(sites):
        await check_site(ctx, site_id, now)


async def daily(ctx: Context, now: datetime) -> None:
    """Each site once a local day, from REACH_CHECK_TIME on (run by the upkeep loop)."""
    hour, minute = (int(x) for x in ctx.config.reach_check_time.split(":"))
    for roster in await ctx.store.rosters():
        local = now.astimezone(ZoneInfo(roster.zone))
        due = to_utc(local.replace(hour=hour, minute=minute, tzinfo=None), roster.zone)
        if now < due:
            continue
        marker = ctx.store.keys.reach_checked(roster.site_id, local.date().isoformat())
        if await ctx.store.redis.set(marker, "1", nx=True, ex=2 * 24 * 3600):
            await check_site(ctx, roster.site_id, now)
