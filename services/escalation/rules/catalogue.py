"""The escalation rules described (id, trigger, action, source), rendered into
docs/clinical-rules.md. The times are the defaults of settings.py (MTM_ESCALATION__LADDERS__*);
services/escalation/README.md tells how each rule runs."""

from __future__ import annotations

from shared.catalogue import RuleInfo

RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "ESC-LADDER",
        "a ClinicalAlertRaised opens an alert; its severity's ladder is frozen into it",
        "P0: page the on-call primary at once, the backup 15 min later, the director 15 min "
        "after that, then re-page everyone paged and whoever is on call every 5 min until "
        "acknowledged (at most 36 rounds, then OperationalWarning(ladder_exhausted)); P1: "
        "primary, backup after 60 min, director after another 60, re-page every 30 min (12 "
        "rounds); P2/P3: no page, the site's daily digest (08:00 local)",
        "[D] design default, configurable (MTM_ESCALATION__LADDERS__*)",
    ),
    RuleInfo(
        "ESC-UNRESOLVED",
        "an acknowledged alert with no outcome (RESOLVE <code>) 60 min (P0) or 4 h (P1) after "
        "the ACK; acknowledged is not resolved",
        "remind the acknowledger and page the next rung above them (AlertEscalated reason "
        "unresolved), again at that interval, at most 3 (P0) or 2 (P1) times; the last raises "
        "OperationalWarning(alert_unresolved); P2/P3: no outcome required",
        "[D] design default, configurable; P1: patient contact the same day (<= 4 h in "
        "business hours)",
    ),
    RuleInfo(
        "ESC-DEDUPE",
        "a ClinicalAlertRaised with the dedup key of an open alert (of an acknowledged or "
        "digest-queued one: only within 24 h of its raise, MTM_ESCALATION__DEDUPE_WINDOW_SECONDS)",
        "counted into the open alert, nobody paged; a more urgent one upgrades the alert (same "
        "code) and starts the new severity's ladder at once (AlertEscalated reason "
        "severity_raised)",
        "[D] design default, configurable",
    ),
    RuleInfo(
        "ESC-OPTOUT",
        "a patient's SMS opt-out or missing consent",
        "never suppresses an alert or a clinician page: pages carry no patient_id and go to the "
        "clinician's phone (minimum necessary)",
        "[D] pages are clinical operations, not patient texts",
    ),
    RuleInfo(
        "ESC-UNREACHABLE",
        "every page of the current step failed or was suppressed (NotificationFailed, "
        "NotificationSuppressed other than duplicate)",
        "the next rung at once (primary, backup, director); once every rung of the site failed, "
        "the fallback roster (network on-call) with one "
        "OperationalWarning(no_reachable_on_call); repeat rounds keep their pace and skip "
        "numbers that failed for good; hourly page caps per alert and per clinician",
        "[D] design default, configurable",
    ),
    RuleInfo(
        "ESC-CLINICIAN-STOP",
        "an opt-out word from a registered clinician's phone",
        "no consent changes; the clinician is told pages cannot be stopped by text "
        "(clinician_stop_reply), OperationalWarning(clinician_stop_request), the site's "
        "director told once a day per clinician (site_lead_notice): the roster decides who is "
        "paged",
        "[D] pages are clinical operations (ESC-OPTOUT); a carrier block (21610) still applies",
    ),
    RuleInfo(
        "ESC-AUDIT",
        "every step of an alert",
        "published on mtm.alerts with ids derived from their meaning: raised "
        "(ClinicalAlertRaised), paged whom (AlertPaged requested, delivered or failed), "
        "escalated (AlertEscalated with its reason), acknowledged, not resolved in time, "
        "resolved",
        "[D] design default; [U] HIPAA audit controls",
    ),
    RuleInfo(
        "ESC-AFTERHOURS",
        "an alert outside clinic hours",
        "not modelled: P0/P1 follow the same ladder at every hour (the roster says who is on "
        "call, the network roster stands in when nobody is); P2/P3 wait for the daily digest",
        "not modelled [D]",
    ),
)
