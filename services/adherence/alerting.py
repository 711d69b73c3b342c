"""Evaluating the alert rules for a plan or a patient: gather the facts, keep one episode per
rule, raise ClinicalAlertRaised once per episode, and record the adherence metrics."""

from __future__ import annotations

import logging
from datetime import timedelta

from services.adherence import messages
from services.adherence.context import Context
from services.adherence.rules.alerts import (
    Finding,
    evaluate_patient,
    evaluate_plan,
    gap_lengths,
)
from services.adherence.rules.metrics import dose_adherence
from services.adherence.rules.model import Plan
from services.adherence.rules.patterns import PatientFacts, PlanFacts
from services.adherence.rules.pdc import pdc
from services.adherence.rules.refills import fills_for_class, fills_for_plan, refill_schedule
from services.adherence.rules.schedule import local_today
from services.adherence.timers import GapCheck

log = logging.getLogger("mtm.adherence.alerts")


async def plan_facts(ctx: Context, plan: Plan) -> PlanFacts:
    """Doses, fills, PDC, supply and the last dose taken of a plan, as of now."""
    cfg = ctx.config
    now = ctx.clock.now()
    today = local_today(now, plan.zone)
    doses = tuple(await ctx.state.doses(plan.plan_id, since=now - timedelta(days=cfg.history_days)))
    fills = await ctx.state.fills(plan.patient_id)
    plan_fills = fills_for_plan(plan, fills)
    period_start = today - timedelta(days=cfg.pdc_period_days - 1)
    return PlanFacts(
        plan=plan,
        doses=doses,
        today=today,
        last_taken=await ctx.state.last_taken(plan.plan_id),
        fills=tuple(plan_fills),
        adherence_30d=dose_adherence(doses, now, 30),
        pdc=pdc(
            fills_for_class(plan.drug_class, fills),
            period_start,
            today,
            threshold=cfg.pdc_threshold,
        ),
        supply=refill_schedule(
            plan_fills,
            lead_days=cfg.refill_lead_days,
            grace_days=cfg.refill_grace_days,
            today=today,
        ),
    )


async def review_plan(ctx: Context, plan: Plan) -> None:
    """Evaluate every rule of the plan, record its metrics, and set its gap timer."""
    facts = await plan_facts(ctx, plan)
    now = ctx.clock.now()
    await _record_metrics(ctx, facts)
    for rule_id, finding in evaluate_plan(facts, ctx.config.thresholds, now):
        await _apply(
            ctx,
            plan.patient_id,
            plan.site_id,
            f"plan:{plan.plan_id}",
            rule_id,
            finding,
            facts.today.isoformat(),
        )
    anchor = facts.last_taken[1] if facts.last_taken else plan.first_dose_at
    lengths = gap_lengths(plan, ctx.config.thresholds, facts.today)
    upcoming = [anchor + length for length in lengths if anchor and anchor + length > now]
    timer = GapCheck(plan.plan_id)
    if upcoming:
        await ctx.timers.schedule(*timer.at(min(upcoming)))
    else:
        await ctx.timers.cancel(timer.key)


async def review_patient(ctx: Context, patient_id: str) -> None:
    """Evaluate the patient-scoped rules (ADH-DATA-GAP)."""
    patient = await ctx.state.patient(patient_id)
    plans = await ctx.state.patient_plans(patient_id)
    active = sum(1 for p in plans if p.active and not p.prn)
    now = ctx.clock.now()
    facts = PatientFacts(patient=patient, active_plans=active)
    for rule_id, finding in evaluate_patient(facts, ctx.config.thresholds, now):
        await _apply(
            ctx,
            patient_id,
            patient.site_id,
            f"patient:{patient_id}",
            rule_id,
            finding,
            now.date().isoformat(),
        )


async def _apply(
    ctx: Context,
    patient_id: str,
    site_id: str | None,
    scope: str,
    rule_id: str,
    finding: Finding | None,
    today: str,
) -> None:
    if finding is None:
        await ctx.state.close_episode(scope, rule_id)
        return
    episode = await ctx.state.open_episode(
        scope, rule_id, finding.episode or f"since:{today}", fixed=finding.episode is not None
    )
    event = messages.alert(
        finding, patient_id=patient_id, site_id=site_id, scope=scope, episode=episode
    )
    if not await ctx.alert_once.publish(f"alert:{event.dedup_key}", event, ctx.bus):
        return
    log.info(
        "clinical alert raised",
        extra={
            "alert_id": event.alert_id,
            "rule_id": rule_id,
            "severity": event.severity,
            "patient_id": patient_id,
            "scope": scope,
        },
    )


async def _record_metrics(ctx: Context, facts: PlanFacts) -> None:
    now = ctx.clock.now()
    week, month = dose_adherence(facts.doses, now, 7), dose_adherence(facts.doses, now, 30)
    result = facts.pdc
    metrics = {
        "as_of": now.isoformat(),
        **{
            f"{name}_{w.days}d": getattr(w, name)
            for w in (week, month)
            for name in (
                "scheduled",
                "taken",
                "on_time",
                "late",
                "skipped",
                "missed",
                "unknown",
                "ratio",
            )
        },
        "pdc": result.pdc if result else None,
        "pdc_adherent": result.adherent if result else None,
        "pdc_ipsd": result.ipsd.isoformat() if result and result.ipsd else None,
        "pdc_covered_days": result.covered if result else 0,
        "pdc_days": result.days if result else 0,
        "run_out": facts.supply.run_out.isoformat() if facts.supply else None,
    }
    await ctx.state.put_metrics(facts.plan.patient_id, facts.plan.plan_id, metrics)
