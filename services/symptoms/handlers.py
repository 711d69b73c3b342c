"""The symptoms service's handlers: claim the business key, write state, run the rules, publish."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from faststream.kafka import KafkaRouter

from services.symptoms.context import Context
from services.symptoms.rules import cross_stream, noshow
from services.symptoms.rules import report as side_effect_report
from services.symptoms.rules.model import (
    AlertRecord,
    DoseRecord,
    DoseStatus,
    Drug,
    Finding,
    Report,
    ScoreRecord,
)
from services.symptoms.rules.questionnaire import evaluate_answer, evaluate_response, risk_markers
from services.symptoms.rules.scoring import score
from services.symptoms.rules.vocabulary import known
from services.symptoms.salvage import rescue
from services.symptoms.timers import PlanDue, SessionExpiry, parse
from shared import events as ev
from shared import topics
from shared.broker import subscriber
from shared.lexicon.side_effects import codes_in
from shared.timers import Timer

log = logging.getLogger("mtm.symptoms")


async def _publish(ctx: Context, findings: list[Finding], event: ev.Event, now: datetime) -> None:
    assert event.patient_id is not None
    await ctx.publisher.publish(findings, patient_id=event.patient_id, cause=event, now=now)


async def on_questionnaire_completed(ctx: Context, e: ev.QuestionnaireCompleted) -> None:
    """Score the response; item 9 and C-SSRS even when abandoned; totals only when complete."""
    async with ctx.once.claimed(f"qr:{e.response_id}:{e.status}") as fresh:
        if not fresh:
            return
        t, now, scope = ctx.thresholds, e.occurred_at, e.session_id or e.response_id
        s = score(
            e.instrument,
            ((a.item, a.value) for a in e.answers if a.value is not None),
            finished=e.status == "completed",
        )
        if s.invalid:
            log.warning(
                "answers outside the instrument ignored",
                extra={
                    "patient_id": e.patient_id,
                    "response_id": e.response_id,
                    "count": len(s.invalid),
                },
            )
        if s.total is not None:
            await ctx.state.save_scores(
                e.patient_id, [ScoreRecord(e.response_id, e.instrument, now, s.total)]
            )
        await ctx.state.save_risks(e.patient_id, risk_markers(s, ref=e.response_id, at=now, t=t))
        patient = await ctx.state.context(e.patient_id, now=now)
        findings = evaluate_response(s, scope=scope, ref=e.response_id, at=now, ctx=patient, t=t)
        triggers = cross_stream.from_findings(findings, scope=scope, at=now, drugs=patient.drugs)
        if triggers:
            await ctx.state.save_triggers(e.patient_id, triggers)
            # Doses re-read after the trigger is stored: a missed dose handled meanwhile sees it.
            doses = await ctx.state.doses(e.patient_id, now=now)
            findings += cross_stream.evaluate(
                replace(patient, doses=doses, triggers=tuple(triggers)), t
            )
        log.info(
            "questionnaire scored",
            extra={
                "patient_id": e.patient_id,
                "response_id": e.response_id,
                "complete": s.complete,
                "findings": len(findings),
            },
        )
        await _publish(ctx, findings, e, now)


async def on_item_answered(ctx: Context, e: ev.QuestionnaireItemAnswered) -> None:
    """One SMS answer: item 9 and C-SSRS are evaluated at once (sessions get abandoned), then
    the check-in session moves on."""
    async with ctx.once.claimed(f"item:{e.event_id}") as fresh:
        if not fresh:
            return
        if e.instrument != "side_effects":  # side effects are judged on the session's report
            await _answer_rules(ctx, e)
        await ctx.checkins.on_answer(e)


async def _answer_rules(ctx: Context, e: ev.QuestionnaireItemAnswered) -> None:
    """The rules due the moment an answer arrives, before anything else happens to it."""
    t, now = ctx.thresholds, e.occurred_at
    session = await ctx.state.session_answer(
        e.patient_id, e.session_id, e.instrument, e.item, e.value
    )
    s = score(e.instrument, session.items(), finished=False)
    await ctx.state.save_risks(e.patient_id, risk_markers(s, ref=e.session_id, at=now, t=t))
    patient = await ctx.state.context(e.patient_id, now=now)
    findings = evaluate_answer(
        e.instrument, e.item, e.value, session=session, scope=e.session_id, ctx=patient, t=t
    )
    await _publish(ctx, findings, e, now)


async def on_side_effect_reported(ctx: Context, e: ev.SideEffectReported) -> None:
    """Red-flag table, free-text screen, review items, and missed doses alongside."""
    async with ctx.once.claimed(f"se:{e.report_id}") as fresh:
        if not fresh:
            return
        t, now = ctx.thresholds, e.occurred_at
        effects, words = read_effects(e.effects)
        unknown = sum(1 for code in effects if not known(code))
        if unknown:
            log.warning(
                "symptoms in words that name no code (reviewed as SE-OTHER)",
                extra={"patient_id": e.patient_id, "report_id": e.report_id, "count": unknown},
            )
        report = Report(
            ref=e.report_id,
            effects=effects,
            free_text=e.free_text,
            stopped_medication=e.stopped_medication,
            plan_id=e.plan_id,
            words=words,
        )
        triggers = cross_stream.from_report(report, at=now)
        await ctx.state.save_triggers(e.patient_id, triggers)
        patient = await ctx.state.context(e.patient_id, now=now)
        findings = side_effect_report.evaluate(report, patient, t)
        findings += cross_stream.evaluate(replace(patient, triggers=tuple(triggers)), t)
        await _publish(ctx, findings, e, now)


def read_effects(reported: list[ev.SideEffect]) -> tuple[dict[str, int], dict[str, str]]:
    """Symptom code -> highest severity, and code -> the words the report used for it. Words
    naming several symptoms count for each; words naming none stay as written (SE-OTHER)."""
    effects: dict[str, int] = {}
    words: dict[str, str] = {}
    for effect in reported:
        codes = (effect.code,) if known(effect.code) else codes_in(effect.code)
        said = effect.reported_as if known(effect.code) else effect.code
        for code in codes or (effect.code,):
            effects[code] = max(effect.severity, effects.get(code, 0))
            if said and code != said:
                words.setdefault(code, said)
    return effects, words


def _local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


async def on_plan_event(ctx: Context, e: ev.Event) -> None:
    """Keep the drug context: class, start, last dose change, stop."""
    assert e.patient_id is not None
    if isinstance(e, ev.MedicationPlanStarted):
        old = await ctx.state.plan(e.patient_id, e.plan_id)
        await ctx.state.save_plan(
            e.patient_id,
            Drug(
                plan_id=e.plan_id,
                drug=e.drug.strip().lower(),
                drug_class=e.drug_class,
                start=e.start_date,
                zone=e.zone,
                prn=e.prn,
                dose_changed=old.dose_changed if old else None,
            ),
        )
        return
    plan_id = e.plan_id  # type: ignore[attr-defined]
    old = await ctx.state.plan(e.patient_id, plan_id)
    if old is None:
        log.warning(
            "plan event for an unknown plan",
            extra={"patient_id": e.patient_id, "plan_id": plan_id, "event_type": e.event_type},
        )
        return
    if isinstance(e, ev.MedicationPlanChanged):
        zone = e.zone or old.zone
        changed = (e.effective_date or _local_date(e.occurred_at, zone)) if e.dose_changed else None
        await ctx.state.save_plan(
            e.patient_id, replace(old, zone=zone, dose_changed=changed or old.dose_changed)
        )
    elif isinstance(e, ev.MedicationPlanStopped):
        await ctx.state.save_plan(
            e.patient_id, replace(old, stopped=_local_date(e.occurred_at, old.zone))
        )


async def on_dose_event(ctx: Context, e: ev.DoseTaken | ev.DoseSkipped | ev.DoseMissed) -> None:
    """Record the dose; a missed or skipped one may complete a cross-stream alert."""
    if isinstance(e, ev.DoseTaken):
        await ctx.state.save_dose(
            e.patient_id, DoseRecord(e.dose_id, e.plan_id, e.taken_at, "taken")
        )
        return
    status: DoseStatus = "skipped" if isinstance(e, ev.DoseSkipped) else "missed"
    at = e.reported_at if isinstance(e, ev.DoseSkipped) else e.scheduled_at
    async with ctx.once.claimed(f"dose:{e.dose_id}:{status}") as fresh:
        if not fresh:
            return
        await ctx.state.save_dose(e.patient_id, DoseRecord(e.dose_id, e.plan_id, at, status))
        patient = await ctx.state.context(e.patient_id, now=e.occurred_at)
        await _publish(ctx, cross_stream.evaluate(patient, ctx.thresholds), e, e.occurred_at)


async def on_no_show(ctx: Context, e: ev.AppointmentNoShow) -> None:
    """APPT-NOSHOW-RISK: a missed visit after a recent high-risk flag."""
    async with ctx.once.claimed(f"noshow:{e.appointment_id}") as fresh:
        if not fresh:
            return
        patient = await ctx.state.context(e.patient_id, now=e.occurred_at)
        finding = noshow.evaluate(e.appointment_id, patient, ctx.thresholds)
        await _publish(ctx, [finding] if finding else [], e, e.occurred_at)


async def on_invalid_record(ctx: Context, raw: bytes) -> None:
    """A record of mtm.symptoms that failed validation: handle the risk signal it still carries
    (salvage.py) before it is dead-lettered."""
    event = rescue(raw, now=ctx.clock.now())
    if event is None:
        return
    log.warning("risk signal rescued from an invalid record", extra=event.log_fields())
    if isinstance(event, ev.QuestionnaireCompleted):
        await on_questionnaire_completed(ctx, event)
    elif isinstance(event, ev.QuestionnaireItemAnswered):
        await on_item_answered(ctx, event)
    elif isinstance(event, ev.SideEffectReported):
        await on_side_effect_reported(ctx, event)


async def on_patient_event(ctx: Context, e: ev.PatientsEvent) -> None:
    """Date of birth for the age-dependent rules; zone, site and consent for the check-ins."""
    if isinstance(e, ev.PatientEnrolled):
        await ctx.state.save_profile(e.patient_id, date_of_birth=e.date_of_birth)
    await ctx.checkins.on_patient_event(e)


async def on_alert_raised(ctx: Context, e: ev.ClinicalAlertRaised) -> None:
    """Alerts of every service count as recent risk for APPT-NOSHOW-RISK."""
    await ctx.state.save_alert(
        e.patient_id, AlertRecord(e.alert_id, e.rule_id, e.severity, e.occurred_at)
    )


async def on_timer(ctx: Context, timer: Timer) -> None:
    """A check-in timer fired (the TimerWorker's handler)."""
    match parse(timer):
        case PlanDue() as due:
            await ctx.checkins.on_due(due)
        case SessionExpiry() as expiry:
            await ctx.checkins.on_expiry(expiry)
        case None:
            log.warning("check-in timer of unknown shape dropped", extra={"timer": timer.key})


def make_router(ctx: Context) -> KafkaRouter:
    """The service's subscriptions (topic names bare; the runtime applies the prefix)."""
    router = KafkaRouter()

    @subscriber(router, topics.SYMPTOMS, group=ctx.group(topics.SYMPTOMS))
    async def on_symptoms(event: ev.SymptomsEvent) -> None:
        await ctx.ledger.admit(event)
        if isinstance(event, ev.QuestionnaireCompleted):
            await on_questionnaire_completed(ctx, event)
        elif isinstance(event, ev.QuestionnaireItemAnswered):
            await on_item_answered(ctx, event)
        elif isinstance(event, ev.SideEffectReported):
            await on_side_effect_reported(ctx, event)
        elif isinstance(event, ev.CheckInPlanSet):
            await ctx.checkins.on_plan_set(event)
        # WeightRecorded drives no rule yet.

    @subscriber(router, topics.MEDICATIONS, group=ctx.group(topics.MEDICATIONS), bulk=True)
    async def on_medications(event: ev.MedicationsEvent) -> None:
        await ctx.ledger.admit(event)
        if isinstance(event, ev.DoseTaken | ev.DoseSkipped | ev.DoseMissed):
            await on_dose_event(ctx, event)
        elif not isinstance(event, ev.MedicationDispensed):
            await on_plan_event(ctx, event)
            await ctx.checkins.on_medication_event(event)

    @subscriber(router, topics.PATIENTS, group=ctx.group(topics.PATIENTS), bulk=True)
    async def on_patients(event: ev.PatientsEvent) -> None:
        await ctx.ledger.admit(event)
        await on_patient_event(ctx, event)

    @subscriber(router, topics.APPOINTMENTS, group=ctx.group(topics.APPOINTMENTS), bulk=True)
    async def on_appointments(event: ev.AppointmentsEvent) -> None:
        await ctx.ledger.admit(event)
        if isinstance(event, ev.AppointmentNoShow):
            await on_no_show(ctx, event)

    @subscriber(router, topics.ALERTS, group=ctx.group(topics.ALERTS), bulk=True)
    async def on_alerts(event: ev.AlertsEvent) -> None:
        if isinstance(event, ev.ClinicalAlertRaised):
            await on_alert_raised(ctx, event)

    return router
