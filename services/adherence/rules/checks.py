"""The conditions of the adherence alert rules (ADH-*): each returns a hit (its episode,
or None for the caller's open episode, and the evidence) or None."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.adherence.rules.patterns import (
    EvidenceItem,
    PatientFacts,
    PlanFacts,
    dose_evidence,
    fill_evidence,
    gap_at_least,
    missed_days,
    missed_run,
)
from services.adherence.rules.thresholds import Thresholds

Hit = tuple[str | None, list[EvidenceItem]]


def stopped_by_patient(facts: PlanFacts) -> bool:
    """The plan ended because the patient said they stopped."""
    return not facts.plan.active and facts.plan.stopped_reason == "patient" and not facts.plan.prn


def _stop_hit(facts: PlanFacts) -> Hit | None:
    """The patient said they stopped (MedicationPlanStopped, reason patient)."""
    if not stopped_by_patient(facts) or facts.plan.stopped_at is None:
        return None
    item = EvidenceItem("other", facts.plan.plan_id, "patient reported stopping")
    return f"stopped:{facts.plan.stopped_at.date().isoformat()}", [item]


def _days_hit(facts: PlanFacts, days: int) -> Hit | None:
    run = missed_days(facts.doses)
    if len(run) < days:
        return None
    doses = [d for _, day_doses in run for d in day_doses]
    return doses[0].dose_id, [dose_evidence(d) for d in doses]


def _gap_hit(facts: PlanFacts, now: datetime, length: timedelta, untaken: int = 0) -> Hit | None:
    found = gap_at_least(facts, now, length, untaken=untaken)
    if found is None:
        return None
    head = EvidenceItem("dose", found.anchor, f"no dose taken since {found.since.isoformat()}")
    return f"after:{found.anchor}", [head, *(dose_evidence(d) for d in found.doses)]


def consec_miss(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-CONSEC-MISS: a run of doses closed untaken; the episode is its first dose."""
    run = missed_run(tuple(d for d in facts.doses if d.scheduled_at <= now))
    if len(run) < t.consec_miss_doses:
        return None
    return run[0].dose_id, [dose_evidence(d) for d in run]


def ssri_disc(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-SSRI-DISC: the drug's gap without a dose, with at least two doses closed untaken."""
    hours = t.ssri_disc_hours[facts.plan.drug]
    return _gap_hit(facts, now, timedelta(hours=hours), untaken=t.ssri_disc_min_missed)


def bzd_stop(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-BZD-STOP: after weeks of regular use, missed days or a reported stop."""
    if (facts.today - facts.plan.start_date).days < t.bzd_min_regular_days:
        return None  # not yet taken regularly for the weeks that make dependence likely
    if stopped_by_patient(facts):
        return _stop_hit(facts)
    return _days_hit(facts, t.bzd_missed_days)


def lithium(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-LITHIUM: consecutive days without a dose taken, or a reported stop."""
    if stopped_by_patient(facts):
        return _stop_hit(facts)
    return _days_hit(facts, t.lithium_missed_days)


def clozapine_gap(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-CLOZ-48H: no dose taken for 48 hours (re-titration needed)."""
    return _gap_hit(facts, now, timedelta(hours=t.clozapine_gap_hours))


def lamotrigine_gap(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-LTG-GAP: no dose taken for 5 days (re-titration needed)."""
    return _gap_hit(facts, now, timedelta(days=t.lamotrigine_gap_days))


def antipsychotic(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-ANTIPSYCH: 30-day dose adherence or PDC below 80 %, or a lapsed supply."""
    window = facts.adherence_30d
    if window is not None and window.scheduled >= t.antipsych_min_doses:
        ratio = window.ratio or 0.0
        if ratio < t.antipsych_adherence:
            since = now - timedelta(days=30)
            untaken = [
                d
                for d in facts.doses
                if since < d.scheduled_at <= now and d.status in ("missed", "unknown", "skipped")
            ]
            share = f"{ratio:.0%} ({window.taken}/{window.scheduled})"
            head = EvidenceItem("other", facts.plan.plan_id, f"30-day dose adherence {share}")
            return None, [head, *(dose_evidence(d) for d in untaken)]
    result = facts.pdc
    if result is not None and result.pdc is not None and result.pdc < t.antipsych_pdc:
        head = EvidenceItem(
            "other",
            facts.plan.plan_id,
            f"PDC {result.pdc:.1%} since {result.ipsd.isoformat() if result.ipsd else '?'}",
        )
        return None, [head, *(fill_evidence(f) for f in facts.fills)]
    lapse = _lapse_hit(facts)
    # One episode while any of the three conditions holds: the caller keeps it open.
    return (None, lapse[1]) if lapse is not None else None


def _lapse_hit(facts: PlanFacts) -> Hit | None:
    supply = facts.supply
    if supply is None or facts.today < supply.lapse_on:
        return None
    head = EvidenceItem(
        "other", facts.plan.plan_id, f"supply ran out {supply.run_out.isoformat()}, no new fill"
    )
    return f"runout:{supply.run_out.isoformat()}", [head, *(fill_evidence(f) for f in facts.fills)]


def new_start(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-NEWSTART: a new antidepressant with no dose taken for a week, no second fill by
    day 35, or its first supply lapsed."""
    plan = facts.plan
    if (facts.today - plan.start_date).days <= t.newstart_window_days:
        hit = _gap_hit(facts, now, timedelta(days=t.newstart_no_taken_days))
        if hit is not None:
            return hit
    fill_dates = sorted({f.fill_date for f in facts.fills})
    if len(fill_dates) == 1:
        first = fill_dates[0]
        is_new = (first - plan.start_date).days <= t.newstart_window_days
        if is_new and (facts.today - first).days >= t.newstart_second_fill_day:
            head = EvidenceItem(
                "other", plan.plan_id, f"no second fill by day {t.newstart_second_fill_day}"
            )
            return f"fill:{first.isoformat()}", [head, *(fill_evidence(f) for f in facts.fills)]
    if (facts.today - plan.start_date).days <= t.newstart_second_fill_day:
        return _lapse_hit(facts)  # the first supply already ran out, no refill
    return None


def no_refill(facts: PlanFacts, t: Thresholds, now: datetime) -> Hit | None:
    """ADH-NO-REFILL: the supply ran out `grace` days ago and no fill came."""
    return _lapse_hit(facts)


def data_gap(facts: PatientFacts, t: Thresholds, now: datetime) -> Hit | None:
    """No reply at all for 72 h from a patient who used to reply, though we kept asking."""
    p = facts.patient
    if facts.active_plans == 0 or p.replies < t.data_gap_min_replies or p.last_reply_at is None:
        return None
    if now - p.last_reply_at < timedelta(hours=t.data_gap_hours):
        return None
    if p.last_prompt_at is None or p.last_prompt_at <= p.last_reply_at:
        return None
    item = EvidenceItem(
        "sms", p.patient_id, f"last reply {p.last_reply_at.isoformat()}, {p.replies} replies before"
    )
    return f"since:{p.last_reply_at.isoformat()}", [item]
