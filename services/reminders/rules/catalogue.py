"""The appointment texts of the reminders service described as rules (id, trigger, what is sent,
source), rendered into docs/clinical-rules.md. Every text is a routine NotificationRequested;
the dispatcher applies consent, quiet hours and caps (SMS-CONSENT, SMS-QUIET) and reads the
replies (APPT-REPLY). The no-show risk alert is the symptoms service's APPT-NOSHOW-RISK."""

from __future__ import annotations

from shared.catalogue import RuleInfo

RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "APPT-BOOKED",
        "an appointment is booked, or rescheduled to a new slot",
        "routine text `appointment_booked` (start, modality, join link for telehealth); replies "
        "1 confirm / 2 reschedule / 3 cancel",
        "[D] design default",
    ),
    RuleInfo(
        "APPT-CASCADE",
        "reminders before a booked appointment: 3 days and 1 day before at the same local wall "
        "time (re-asks), then 2 h before an in-person or 15 min before a telehealth visit (the "
        "final nudge); a step already past at booking is skipped. A confirmation drops the "
        "re-asks; a change request (reschedule or cancel) stops every step, the final nudge too: "
        "it goes only to a confirmed or silent patient",
        "routine text `appointment_reminder`, one per step and slot (dedup key per revision)",
        "[D] design default, configurable per site (MTM_REMINDERS__CASCADE, "
        "MTM_REMINDERS__SITE_CASCADES)",
    ),
    RuleInfo(
        "APPT-CANCELLED",
        "an appointment is cancelled while its start is still ahead",
        "routine text `appointment_cancelled`; every pending reminder cancelled",
        "[D] design default",
    ),
    RuleInfo(
        "APPT-REBOOK",
        "a no-show: MTM_REMINDERS__REBOOK_AFTER (default 1 h) after the start",
        'routine text `appointment_rebook` ("we missed you, reply 2 to rebook"), valid for '
        "MTM_REMINDERS__REBOOK_VALID_FOR (default 72 h)",
        "[D] design default, configurable",
    ),
)
