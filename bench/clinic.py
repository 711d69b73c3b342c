"""The on-call team the escalation service pages: three clinicians and a roster for a site."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.events import ClinicianRegistered, RosterPublished, Shift

TEAM = {
    "c-primary": "+15125550181",
    "c-backup": "+15125550182",
    "c-director": "+15125550183",
}


SITES = {"austin": "America/Chicago", "el-paso": "America/Denver", "seattle": "America/Los_Angeles"}


def team() -> list[ClinicianRegistered]:
    """The three clinicians, on call for every site the populations live in."""
    return [
        ClinicianRegistered(
            clinician_id=cid, phone=phone, display_name="On Call", sites=sorted(SITES)
        )
        for cid, phone in TEAM.items()
    ]


def rosters() -> list[RosterPublished]:
    return [roster(site, zone) for site, zone in SITES.items()]


def roster(site_id: str = "austin", zone: str = "America/Chicago") -> RosterPublished:
    """12-hour local shifts from yesterday to ten days ahead: someone is on call right now."""
    today = datetime.now(ZoneInfo(zone)).replace(
        tzinfo=None, hour=0, minute=0, second=0, microsecond=0
    )
    start = today - timedelta(days=1)
    shifts = [
        Shift.model_validate(
            {
                "start_local": f"{start + timedelta(hours=12 * i):%Y-%m-%dT%H:%M}",
                "end_local": f"{start + timedelta(hours=12 * (i + 1)):%Y-%m-%dT%H:%M}",
                "primary_id": "c-primary",
                "backup_id": "c-backup",
            }
        )
        for i in range(22)
    ]
    return RosterPublished(
        site_id=site_id,
        roster_id=f"r-{site_id}",
        zone=zone,
        shifts=shifts,
        director_id="c-director",
    )
