"""Consent (SMS-CONSENT, SMS-KEYWORDS): who may be texted what, per programme, with the opt-out
ledger."""

from __future__ import annotations

from dataclasses import dataclass

PROGRAM_BY_CATEGORY: dict[str, str] = {
    "dose_reminder": "medications",
    "dose_followup": "medications",
    "refill_reminder": "medications",
    "appointment_booked": "appointments",
    "appointment_reminder": "appointments",
    "appointment_cancelled": "appointments",
    "appointment_rebook": "appointments",
    "checkin_item": "checkins",
    "caregiver_missed_dose": "caregiver",
}
PROGRAMS = ("appointments", "medications", "checkins", "caregiver")
STAFF_CATEGORIES = frozenset({"clinician_page", "clinician_notice", "digest"})
# Answers to a text the person just sent us (CTIA: HELP is always answered).
KEYWORD_REPLIES = frozenset({"help", "opt_in_confirmation"})


@dataclass(frozen=True)
class ConsentFacts:
    """What the ledger knows about one recipient when a message is about to go out."""

    recipient_kind: str
    programs: frozenset[str]
    """Programmes granted (for a caregiver: the patient's grants)."""
    phone_opted_out: bool
    """The number texted STOP (or Twilio said 21610) and has not texted START since."""
    discharged: bool = False
    confirmation_pending: bool = False
    """An opt-out happened and its single confirmation has not been sent."""
    carrier_blocked: bool = False
    """Twilio blocks the number (its own STOP handling, or a 21610): any send would be
    refused, so none is attempted, not even HELP or crisis resources."""


@dataclass(frozen=True)
class ConsentDecision:
    allowed: bool
    reason: str = ""


def check_consent(
    category: str, facts: ConsentFacts, *, crisis_to_opted_out: bool
) -> ConsentDecision:
    """Whether the category may be sent to this recipient now."""
    ok, no = ConsentDecision(True), ConsentDecision(False, "opted_out")
    if facts.carrier_blocked:
        return no
    if category == "opt_out_confirmation":
        return ok if facts.phone_opted_out and facts.confirmation_pending else no
    if category == "help":
        return ok
    if category == "opt_out_clarify":
        # "Did you mean STOP?": only to a number still subscribed, once (the dedup key).
        return ok if not facts.phone_opted_out else no
    if category == "crisis_resources":
        return ok if (not facts.phone_opted_out or crisis_to_opted_out) else no
    if facts.phone_opted_out:
        return no
    if category in ("opt_in_confirmation", "media_unreadable"):
        return ok
    if category in STAFF_CATEGORIES:
        return ok if facts.recipient_kind == "clinician" else no
    if facts.discharged:
        return no
    if category == "clinic_callback":
        return ok if facts.programs & set(PROGRAMS) else no
    program = PROGRAM_BY_CATEGORY.get(category)
    if program is None or program not in facts.programs:
        return no
    return ok


def apply_grant(programs: frozenset[str], *, status: str, scope: str) -> frozenset[str]:
    """The programme set after a ConsentChanged from intake, portal or staff."""
    # "all" never grants detailed content: that needs its own explicit opt-in (SMS-CONTENT).
    affected = set(PROGRAMS) if scope == "all" else {scope}
    if status == "granted":
        return frozenset(programs | affected)
    if scope == "all":
        return frozenset()
    return frozenset(programs - affected)
