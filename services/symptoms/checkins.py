"""SMS check-ins: plans become durable timers, a due plan opens a session, each answer moves it
on, and the session ends completed, expired or stopped (the patient opted out).

Every transition is written (session + outbox) under the patient's lock before its events are
published; a redelivered answer or a re-fired timer re-publishes the same outbox (same ids)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from services.symptoms import checkin_messages as messages
from services.symptoms.checkin_plans import Plans
from services.symptoms.checkin_state import CheckinStore
from services.symptoms.rules import checkin_session as sessions
from services.symptoms.rules.checkin_schedule import Plan, next_occurrence
from services.symptoms.rules.checkin_session import Outcome, Session
from services.symptoms.settings import SymptomsSection
from services.symptoms.timers import PlanDue, SessionExpiry, schedule
from shared import events as ev
from shared.broker import EventBus
from shared.clock import Clock
from shared.timers import Timers

log = logging.getLogger("mtm.symptoms")

CONSENT_SCOPES = frozenset({"all", "checkins"})


def session_id(patient_id: str, kind: str, at: datetime) -> str:
    """The same session id for the same occurrence of a plan, however often its timer fires."""
    digest = hashlib.sha256(f"{patient_id}|{kind}|{at.isoformat()}".encode()).hexdigest()
    return f"ci-{digest[:24]}"


@dataclass
class CheckIns:
    """The check-in part of the symptoms service."""

    store: CheckinStore
    timers: Timers
    bus: EventBus
    clock: Clock
    config: SymptomsSection
    plans: Plans = field(init=False)

    def __post_init__(self) -> None:
        self.plans = Plans(self.store, self.timers, self.clock, self.config)

    @property
    def session_length(self) -> timedelta:
        return timedelta(hours=self.config.checkin_session_hours)

    # -- routing from the service's subscriptions --------------------------------------------

    async def on_patient_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.PatientEnrolled):
            await self.plans.on_enrolled(event)
        elif isinstance(event, ev.PatientContactChanged) and event.zone:
            await self.plans.on_zone_changed(event.patient_id, event.zone)
        elif isinstance(event, ev.ConsentChanged):
            await self.on_consent(event)
        elif isinstance(event, ev.PatientDischarged):
            await self.on_discharged(event.patient_id)

    async def on_medication_event(self, event: ev.Event) -> None:
        await self.plans.on_medication_event(event)

    async def on_plan_set(self, event: ev.CheckInPlanSet) -> None:
        await self.plans.on_plan_set(event)

    # -- consent ----------------------------------------------------------------------------

    async def on_consent(self, e: ev.ConsentChanged) -> None:
        """An opt-out ends the open session (stored in progress); no item goes out after it."""
        if e.scope not in CONSENT_SCOPES:
            return
        async with self.store.lock(e.patient_id):
            await self.store.update_profile(e.patient_id, consent=e.status)
            if e.status == "revoked":
                await self._close_open(e.patient_id, "stopped")

    async def on_discharged(self, patient_id: str) -> None:
        async with self.store.lock(patient_id):
            for plan in (await self.store.plans(patient_id)).values():
                await self.plans.set_plan(patient_id, replace(plan, active=False))
            await self._close_open(patient_id, "stopped")

    async def _close_open(self, patient_id: str, status: Literal["expired", "stopped"]) -> None:
        sid = await self.store.open_session(patient_id)
        loaded = await self.store.session(sid) if sid else None
        if loaded is None:
            return
        outcome = sessions.close(loaded[0], status)
        if outcome is not None:
            await self._apply(outcome)

    # -- timers (timers.py) ------------------------------------------------------------------

    async def on_expiry(self, expiry: SessionExpiry) -> None:
        """A session has run out of time: close it, stored in progress."""
        async with self.store.lock(expiry.patient):
            loaded = await self.store.session(expiry.session)
            if loaded is None or not loaded[0].open:
                return
            if self.clock.now() < loaded[0].expires_at:
                return
            outcome = sessions.close(loaded[0], "expired")
            if outcome is not None:
                log.info(
                    "check-in expired",
                    extra={"patient_id": loaded[0].patient_id, "session": expiry.session},
                )
                await self._apply(outcome)

    async def on_due(self, due: PlanDue) -> None:
        """A plan is due: open its session, then set its timer on the following occurrence."""
        async with self.store.lock(due.patient):
            plan = await self.store.plan(due.patient, due.kind)
            if plan is None or plan.revision != due.rev or not plan.active:
                return  # a timer of a plan that changed since: the new plan has its own
            now = self.clock.now()
            if await self._open(due, plan, now):
                following = next_occurrence(plan, max(due.at, now))
                if following is not None:
                    await schedule(self.timers, replace(due, at=following), following)

    async def _open(self, due: PlanDue, plan: Plan, now: datetime) -> bool:
        """Open the occurrence's session; False when it must wait for another session."""
        patient, occurrence = due.patient, due.at
        sid = session_id(patient, plan.kind, occurrence)
        ids = {"patient_id": patient, "session": sid, "kind": plan.kind}
        existing = await self.store.session(sid)
        if existing is not None:
            await self._publish(existing[1])  # a re-fired timer: the same first item again
            return True
        profile = await self.store.profile(patient)
        if profile.consent in ("revoked", "not_granted"):
            log.info("check-in skipped: no consent", extra=ids)
            return True
        if now - occurrence > self.session_length:
            log.info("check-in skipped: due too long ago", extra=ids)
            return True
        other = await self.store.open_session(patient)
        loaded = await self.store.session(other) if other else None
        if loaded is not None and loaded[0].open:
            if loaded[0].kind != plan.kind:
                # One conversation at a time: a "2" must never be read against the wrong item.
                retry = now + timedelta(minutes=self.config.checkin_busy_retry_minutes)
                await schedule(self.timers, due, retry)
                log.info("check-in waits for the open one", extra=ids)
                return False
            closed = sessions.close(loaded[0], "expired")  # the same plan's older session
            if closed is not None:
                await self._apply(closed)
        outcome = sessions.start(
            session_id=sid,
            patient_id=patient,
            kind=plan.kind,
            opened_at=now,
            expires_at=now + self.session_length,
            site_id=plan.site_id or profile.site_id,
        )
        await self._apply(outcome)
        log.info("check-in opened", extra=ids)
        return True

    # -- answers ----------------------------------------------------------------------------

    async def on_answer(self, e: ev.QuestionnaireItemAnswered) -> None:
        """Move the session on by one answer (after the safety rules have seen it)."""
        ids = {"patient_id": e.patient_id, "session": e.session_id, "item": e.item}
        async with self.store.lock(e.patient_id):
            loaded = await self.store.session(e.session_id)
            if loaded is None:
                return  # an answer outside our sessions (another channel): rules only
            s, outbox = loaded
            if s.last_event == str(e.event_id):
                await self._publish(outbox)  # redelivered: the same outcome again
                return
            outcome = sessions.answer(
                s,
                instrument=e.instrument,
                item=e.item,
                value=e.value,
                values=tuple(e.values),
                event_id=str(e.event_id),
                gate_min=self.config.phq2_gate_min,
            )
            if outcome is None:
                log.info("answer to an item not being asked", extra=ids)
                return
            await self._apply(outcome, at=e.occurred_at)

    async def _apply(self, outcome: Outcome, *, at: datetime | None = None) -> None:
        """Write the transition and its outbox, publish, then keep the expiry timer in step."""
        s: Session = outcome.session
        events = messages.outbox(outcome, at=at or self.clock.now())
        expiry = SessionExpiry(patient=s.patient_id, session=s.session_id)
        await self.store.save_session(s, events)
        await self._publish(events)
        if s.open:
            await schedule(self.timers, expiry, s.expires_at)
        else:
            await self.timers.cancel(expiry.key)
            log.info(
                "check-in ended",
                extra={"patient_id": s.patient_id, "session": s.session_id, "status": s.status},
            )

    async def _publish(self, events: list[ev.Event]) -> None:
        for event in events:
            await self.bus.publish(event)
