"""Check-in plans: from CheckInPlanSet, the site's defaults at enrolment, and the side-effect
window after a medication start or dose change; each plan keeps one durable timer on its next
occurrence."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from services.symptoms.checkin_state import CheckinStore
from services.symptoms.rules.checkin_schedule import Plan, next_occurrence, side_effect_window
from services.symptoms.settings import SymptomsSection
from services.symptoms.timers import PlanDue, plan_key, schedule
from shared import events as ev
from shared.clock import Clock
from shared.timers import Timers

log = logging.getLogger("mtm.symptoms")


@dataclass
class Plans:
    """Keeps each patient's plans and their timers."""

    store: CheckinStore
    timers: Timers
    clock: Clock
    config: SymptomsSection

    async def on_medication_event(self, event: ev.Event) -> None:
        """Starts and dose changes (not as-needed plans) open a side-effect window."""
        if isinstance(event, ev.MedicationPlanStarted) and not event.prn:
            await self.on_medication_change(
                event.patient_id,
                plan_id=event.plan_id,
                changed=event.start_date,
                zone=event.zone,
                site_id=event.site_id,
            )
        elif isinstance(event, ev.MedicationPlanChanged) and event.dose_changed:
            zone = event.zone or (await self.store.profile(event.patient_id)).zone
            if zone is None:
                return
            day = event.effective_date or event.occurred_at.astimezone(ZoneInfo(zone)).date()
            await self.on_medication_change(
                event.patient_id,
                plan_id=event.plan_id,
                changed=day,
                zone=zone,
                site_id=event.site_id,
            )

    async def on_plan_set(self, e: ev.CheckInPlanSet) -> None:
        """A clinic-set plan replaces whatever plan of that kind the patient had."""
        plan = Plan(
            kind=e.kind,
            every_days=e.every_days,
            weekday=e.weekday,
            local_time=e.local_time,
            zone=e.zone,
            start=e.start_date,
            end=e.end_date,
            active=e.active,
            source="plan_set",
            revision=str(e.event_id),
            site_id=e.site_id,
        )
        async with self.store.lock(e.patient_id):
            await self.set_plan(e.patient_id, plan)

    async def on_enrolled(self, e: ev.PatientEnrolled) -> None:
        """Remember zone, site and consent; give the patient the site's default plans."""
        # Without the check-ins programme at intake, nothing is asked until a grant arrives.
        consent = "granted" if "checkins" in e.consents else "not_granted"
        defaults = self.config.checkin_site_defaults
        async with self.store.lock(e.patient_id):
            await self.store.update_profile(
                e.patient_id, zone=e.zone, site_id=e.site_id, consent=consent
            )
            existing = await self.store.plans(e.patient_id)
            today = e.occurred_at.astimezone(ZoneInfo(e.zone)).date()
            for default in defaults.get(e.site_id, defaults.get("*", [])):
                if default.kind in existing and existing[default.kind].source == "plan_set":
                    continue
                plan = Plan(
                    kind=default.kind,
                    every_days=default.every_days,
                    weekday=default.weekday,
                    local_time=default.local_time,
                    zone=e.zone,
                    start=today,
                    source="site_default",
                    revision=f"default:{e.event_id}",
                    site_id=e.site_id,
                )
                await self.set_plan(e.patient_id, plan)

    async def on_zone_changed(self, patient_id: str, zone: str) -> None:
        """Plans follow the patient's zone of record (a zone change re-materializes them)."""
        async with self.store.lock(patient_id):
            await self.store.update_profile(patient_id, zone=zone)
            for plan in (await self.store.plans(patient_id)).values():
                if plan.zone != zone:
                    await self.set_plan(patient_id, replace(plan, zone=zone))

    async def on_medication_change(
        self, patient_id: str, *, plan_id: str, changed: date, zone: str, site_id: str | None
    ) -> None:
        """A start or a dose change opens (or restarts) the side-effect check-in window."""
        window = side_effect_window(
            changed=changed,
            zone=zone,
            weeks=self.config.checkin_side_effect_weeks,
            every_days=self.config.checkin_side_effect_every_days,
            local_time=self.config.checkin_local_time,
            revision=f"med:{plan_id}:{changed.isoformat()}",
        )
        if window is None:
            return
        async with self.store.lock(patient_id):
            current = await self.store.plan(patient_id, "side_effects")
            if current is not None and current.source == "plan_set" and current.active:
                return  # the clinic's own side-effect plan stands
            if current is not None and current.end and window.end and current.end > window.end:
                return  # an older, longer window (a replayed start) does not shorten it
            await self.set_plan(patient_id, replace(window, site_id=site_id))

    async def set_plan(self, patient_id: str, plan: Plan) -> None:
        """Store the plan and move its timer to the next occurrence (none: cancelled)."""
        await self.store.save_plan(patient_id, plan)
        due = next_occurrence(plan, self.clock.now())
        if due is None:
            await self.timers.cancel(plan_key(patient_id, plan.kind))
            return
        timer = PlanDue(patient=patient_id, kind=plan.kind, rev=plan.revision, at=due)
        await schedule(self.timers, timer, due)
        log.info(
            "check-in planned",
            extra={"patient_id": patient_id, "kind": plan.kind, "due": due.isoformat()},
        )
