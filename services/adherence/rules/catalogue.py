"""The adherence alert rules described (id, trigger, priority and action, source), in the order of
the alert table (rules/alerts.py: RULES, then PATIENT_RULES). {field} names a threshold of
rules/thresholds.py (or `refill_grace_days`, a service setting), filled in when
docs/clinical-rules.md is generated."""

from __future__ import annotations

from shared.catalogue import RuleInfo

RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "ADH-CONSEC-MISS",
        ">= {consec_miss_doses} consecutive doses missed, unknown or skipped, any psychotropic "
        "class; episode: the first dose of the run",
        "P2: outreach, ask about the missed doses and what gets in the way",
        "[D] design default, configurable",
    ),
    RuleInfo(
        "ADH-SSRI-DISC",
        "an SSRI/SNRI with a discontinuation threshold ({ssri_disc_hours}) without a dose taken, "
        "and >= {ssri_disc_min_missed} doses untaken; episode: the dose the gap started after",
        "P2: check for discontinuation symptoms; advise on restarting (the upgrade to P1 with a "
        "recent PHQ-9 item 9 needs symptom data and is not made by this rule)",
        "discontinuation syndrome, worst with short half-lives (CMAJ 2017, as SE-SSRI-DISC); "
        "hours per drug [D]",
    ),
    RuleInfo(
        "ADH-BZD-STOP",
        "a scheduled benzodiazepine taken >= {bzd_min_regular_days} days: {bzd_missed_days} "
        "consecutive days missed, or the patient reports stopping",
        "P1: same-day contact, withdrawal risk after an abrupt stop",
        "FDA DSC 2020 (withdrawal after an abrupt stop, as SE-BZD-WITHDRAWAL); thresholds [D]",
    ),
    RuleInfo(
        "ADH-LITHIUM",
        "lithium: {lithium_missed_days} consecutive days with no dose taken, or the patient "
        "reports stopping",
        "P1: same-day contact, relapse risk after an abrupt stop; ask about vomiting or diarrhoea",
        "[U] relapse risk after abrupt lithium discontinuation; days [D]",
    ),
    RuleInfo(
        "ADH-CLOZ-48H",
        "clozapine: {clozapine_gap_hours:g} h without a dose taken (a gap timer fires it on time)",
        "P1: same-day contact; re-titration needed, the patient must not restart at the usual dose",
        "[U] Clozaril PI: re-titrate after a gap of 2 days or more; priority [D]",
    ),
    RuleInfo(
        "ADH-LTG-GAP",
        "lamotrigine: {lamotrigine_gap_days:g} days without a dose taken",
        "P1: same-day contact; re-titration needed, restarting at the full dose raises rash risk",
        "[U] Lamictal PI: re-titrate after a stop of more than 5 half-lives (rash, as "
        "SE-LTG-RASH); days [D]",
    ),
    RuleInfo(
        "ADH-ANTIPSYCH",
        "an antipsychotic: 30-day dose adherence < {antipsych_adherence:.0%} (>= "
        "{antipsych_min_doses} doses), PDC < {antipsych_pdc:.0%}, or a lapsed supply; one "
        "episode while it holds",
        "P2: review adherence with the patient; relapse-prevention plan",
        "[U] PQA / HEDIS antipsychotic adherence measure (PDC >= 80%); priority [D]",
    ),
    RuleInfo(
        "ADH-NEWSTART",
        "an antidepressant started <= {newstart_window_days} days ago: no dose taken for "
        "{newstart_no_taken_days} days, one fill only by day {newstart_second_fill_day}, or the "
        "first supply lapsed",
        "P2: outreach after a new start (tolerability, doubts, refill)",
        "[U] early discontinuation of new antidepressants (HEDIS antidepressant medication "
        "management); windows [D]",
    ),
    RuleInfo(
        "ADH-NO-REFILL",
        "the supply ran out {refill_grace_days} days ago and no new fill is on record",
        "P2: review, the supply ran out",
        "[D] design default, configurable",
    ),
    RuleInfo(
        "ADH-DATA-GAP",
        "no reply for {data_gap_hours:g} h from a patient with >= {data_gap_min_replies} "
        "replies, asked since (SMS or app replies; staff entries do not count)",
        "P3: check in with the patient, replies stopped (the upgrade to P2 after a high-risk "
        "flag needs symptom data and is not made by this rule)",
        "[D] design default, configurable",
    ),
)
