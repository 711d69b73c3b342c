"""The SMS rules of the dispatcher described (id, trigger, action, source), in the order a text
meets them, rendered into docs/clinical-rules.md. Outbound: consent, quiet hours, content;
inbound: the crisis screen, keywords, replies to a prompt, then what nobody understood."""

from __future__ import annotations

from shared.catalogue import RuleInfo

RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "SMS-CONSENT",
        "every outbound text: the recipient's programme consents (appointments, medications, "
        "check-ins, caregiver) and the phone's opt-out ledger (rules/consent.py); staff texts "
        "go to clinicians only; a crisis text to an opted-out number only with "
        "MTM_DISPATCHER__CRISIS_TEXT_TO_OPTED_OUT (default off, left to counsel)",
        "send, or NotificationSuppressed(opted_out); every programme text says how to opt out",
        "[U] TCPA consent for automated texts; CTIA messaging principles (opt-out instructions); "
        "per-programme scopes [D]",
    ),
    RuleInfo(
        "SMS-QUIET",
        "a routine text outside the recipient's allowed hours, local time (default 09:00-20:00, "
        "MTM_DISPATCHER__QUIET_START / QUIET_END); never held: clinician pages, crisis texts, "
        "keyword replies and replies to what the patient just texted (a check-in's next item)",
        "deferred to the next allowed instant (NotificationSuppressed(quiet_hours_deferred), "
        "then sent)",
        "[D] design default, configurable; inside the TCPA 8 a.m.-9 p.m. calling window [U]",
    ),
    RuleInfo(
        "SMS-CONTENT",
        "every rendered text: GSM-7 only, one segment (160 septets), the site's display name "
        "first; the minimal wording names no drug, diagnosis, instrument or psychiatric "
        "specialty (the PHI words of rules/content.py); the detailed wording only with the "
        "patient's detailed-content opt-in",
        "the detailed text if consented and it fits, else the minimal text; a text that does "
        "not fit one segment is not sent (template error)",
        "[U] HIPAA minimum necessary; one GSM-7 segment [D]",
    ),
    RuleInfo(
        "SE-ANY-EMERGENCY",
        "an inbound text with crisis language (shared/lexicon/crisis.py: English and Spanish, "
        "misspellings, leetspeak, abbreviations, emoji; read before the keywords, even inside "
        "an opt-out; texts of registered clinicians are not screened)",
        "P0 (explicit intent, an act, a medical emergency) or P1 (indirect risk language) "
        "ClinicalAlertRaised, evidence the MessageSid and categories; crisis text on the "
        "urgent lane",
        "universal override [D]; phrases in shared/lexicon/crisis.py",
    ),
    RuleInfo(
        "SMS-KEYWORDS",
        "opt-out keywords and plain-language requests in any spelling (STOP, CANCEL, "
        'UNSUBSCRIBE, "I want to stop", Spanish; rules/keywords.py), START/UNSTOP/RESUME (YES '
        "from an opted-out number), HELP/INFO; a number is never a keyword; a probable opt-out "
        '("I want to quit") is asked once a day',
        "opt-out: the number opted out (ConsentChanged) and one confirmation; opt-in: "
        "re-subscribed and confirmed; HELP: answered, always; a clinician's opt-out: see "
        "ESC-CLINICIAN-STOP",
        "CTIA keywords; FCC 2024 revocation rule (consent revoked by any reasonable means)",
    ),
    RuleInfo(
        "APPT-REPLY",
        "a reply to the newest appointment prompt sent to that number within "
        "MTM_DISPATCHER__CONTEXT_TTL_HOURS (default 72 h): 1/C confirm, 2/R reschedule, 3/CXL "
        "cancel (the word CANCEL stays an opt-out keyword: SMS-KEYWORDS)",
        "AppointmentConfirmed or AppointmentChangeRequested for the prompt's patient, if they "
        "still use the number; CANCEL after a visit text also requests the cancellation",
        "[D] design default; CANCEL is a CTIA opt-out keyword",
    ),
    RuleInfo(
        "SMS-REPLY-UNREAD",
        "an inbound text that no rule understood (no keyword, no prompt it answers, no crisis "
        "language)",
        "P3 ClinicalAlertRaised for the site's work queue, evidence the MessageSid; one per "
        "patient a day, repeats counted into it",
        "[D] nothing a patient texts is dropped",
    ),
)
