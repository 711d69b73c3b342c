"""A clinician texted an opt-out word (ESC-CLINICIAN-STOP): pages are clinical operations and a
text cannot stop them (the dispatcher answered the clinician so); their site lead is told, once
a day, so that the roster, not the consent ledger, decides who is paged."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from services.escalation.context import Context
from services.escalation.rules import messages as msg
from shared.events import OperationalWarning

log = logging.getLogger("mtm.escalation.stop")


async def on_clinician_stop_request(ctx: Context, event: OperationalWarning) -> None:
    """Tell the lead of each site the clinician covers (the warning's site, else all of theirs)."""
    clinician_id = event.clinician_id
    if clinician_id is None:
        return
    record = await ctx.store.clinician(clinician_id) or {}
    sites = [event.site_id] if event.site_id else list(record.get("sites") or ())
    now = ctx.clock.now()
    notices = []
    for site_id in sites:
        roster = await ctx.store.roster(site_id)
        lead = roster.director_id if roster else None
        if lead is None or lead == clinician_id:
            log.warning(
                "no site lead to tell of a clinician's STOP",
                extra={"site_id": site_id, "clinician_id": clinician_id},
            )
            continue
        zone = ctx.site_zone(site_id, roster.zone if roster else None)
        notices.append(
            msg.lead_notice_request(
                site_id=site_id,
                site_name=ctx.config.site_name(site_id),
                director_id=lead,
                clinician_id=clinician_id,
                day=now.astimezone(ZoneInfo(zone)).date().isoformat(),
                now=now,
            )
        )
    await ctx.outbox.publish(f"stop:{clinician_id}", notices)
    log.info(
        "site lead told of a clinician's STOP",
        extra={"clinician_id": clinician_id, "notices": len(notices)},
    )
