"""Replies read in the light of the last prompt sent to that phone (APPT-REPLY)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from services.dispatcher.rules import answers
from services.dispatcher.rules.text import normalize, words

DOSE_TAKEN = frozenset({"1", "y", "yes", "taken", "took it", "t", "si", "tomada", "tome"})
DOSE_SKIPPED = frozenset({"2", "n", "no", "skip", "skipped", "not taken", "omitida"})
APPT_CONFIRM = frozenset({"1", "y", "yes", "c", "confirm", "confirmed", "si", "confirmo"})
APPT_RESCHEDULE = frozenset({"2", "r", "reschedule", "cambiar"})
# Never the word CANCEL: that is an opt-out keyword (SMS-KEYWORDS), handled before this.
APPT_CANCEL = frozenset({"3", "cxl"})
_PAGE = re.compile(r"^(ack|resolve|res)(?:\s+#?(\d{3,8}))?$")


@dataclass(frozen=True)
class Prompt:
    """An outbound message that expects a reply, as remembered for the phone it went to."""

    kind: str
    ref: str
    notification_id: str
    recipient_kind: str
    recipient_id: str
    sent_at: datetime
    patient_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Intent:
    kind: str
    """dose_taken, dose_skipped, appt_confirm, appt_reschedule, appt_cancel, page_ack,
    page_resolve, page_unmatched, checkin_answer, unrecognized."""
    prompt: Prompt | None = None
    value: int | None = None
    code: str | None = None
    values: tuple[int, ...] = ()
    """The options chosen, for a multi-select check-in item (the side-effect checklist)."""


def interpret(text: str, prompts: list[Prompt]) -> Intent:
    """What a reply means; `prompts` are the phone's live prompts, most recent first."""
    page = _PAGE.match(normalize(text))
    if page:
        return _page_intent(page.group(1), page.group(2), prompts)
    reply = " ".join(words(text))
    latest = next((p for p in prompts if p.kind in ("dose", "appointment", "checkin")), None)
    if latest is None:
        return Intent("unrecognized")
    if latest.kind == "dose":
        if reply in DOSE_TAKEN:
            return Intent("dose_taken", latest)
        if reply in DOSE_SKIPPED:
            return Intent("dose_skipped", latest)
    elif latest.kind == "appointment":
        for answers, kind in (
            (APPT_CONFIRM, "appt_confirm"),
            (APPT_RESCHEDULE, "appt_reschedule"),
            (APPT_CANCEL, "appt_cancel"),
        ):
            if reply in answers:
                return Intent(kind, latest)
    else:
        return _checkin_intent(text, latest)
    return Intent("unrecognized", latest)


def _checkin_intent(text: str, prompt: Prompt) -> Intent:
    """A check-in answer in the light of the item asked (unrecognized: ask again once)."""
    top = int(prompt.extra.get("max", "3"))
    if prompt.extra.get("answer") == "checklist":
        chosen = answers.checklist(text, max_option=top)
        if chosen is None:
            return Intent("unrecognized", prompt)
        return Intent("checkin_answer", prompt, value=1 if chosen else 0, values=chosen)
    value = answers.scale(text, max_value=top, labels=prompt.extra.get("scale", "frequency"))
    if value is None:
        return Intent("unrecognized", prompt)
    return Intent("checkin_answer", prompt, value=value)


def _page_intent(verb: str, code: str | None, prompts: list[Prompt]) -> Intent:
    pages = [p for p in prompts if p.kind == "page"]
    kind = "page_ack" if verb == "ack" else "page_resolve"
    if code is None:
        return Intent(kind, pages[0], code=pages[0].ref) if pages else Intent("page_unmatched")
    for prompt in pages:
        if prompt.ref == code:
            return Intent(kind, prompt, code=code)
    # A code this phone was never paged with: nothing changes (the caller logs it).
    return Intent("page_unmatched", code=code)
