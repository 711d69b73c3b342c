"""Inbound texts: crisis screen, keywords first, then the reply read against the last prompt.

Everything here is idempotent under redelivery: state changes are set-like, and every event
or reply this produces has an id derived from the MessageSid.
"""

from __future__ import annotations

import logging
from datetime import datetime

from services.dispatcher.contacts.directory import Contact, OptOut
from services.dispatcher.context import IDS, SOURCE, Context
from services.dispatcher.inbound import replies
from services.dispatcher.rules.crisis import RULE_ID, CrisisMatch, screen
from services.dispatcher.rules.keywords import (
    Keyword,
    TwilioKeyword,
    answered_by_twilio,
    cancel_word,
    classify_keyword,
)
from services.dispatcher.rules.replies import Intent, interpret
from shared.events import (
    ClinicalAlertRaised,
    Evidence,
    InboundSmsReceived,
    NotificationRequested,
    OperationalWarning,
    Recipient,
    phone_key,
)
from shared.events.sms import is_phone, sms_phone
from shared.lexicon.normalize import tokens
from shared.logging import security_event

log = logging.getLogger("mtm.dispatcher")

UNREAD_RULE_ID = "SMS-REPLY-UNREAD"
MEDIA_UNREADABLE = "media_unreadable"
_CANCEL = frozenset({"cancel", "cancelar", "cancela", "cancelen", "cancele"})

KEYWORD_OF: dict[TwilioKeyword, Keyword] = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}

CATEGORY_OF = {
    "clinician_stop_reply": "clinician_notice",
    "opt_out_confirmation_visit": "opt_out_confirmation",
}
"""Replies whose category is not their template's name."""


async def on_inbound(ctx: Context, event: InboundSmsReceived) -> None:
    if not is_phone(event.from_phone):
        # A short code or an alphanumeric sender id (carrier notices, one-time codes): one-way
        # senders, nobody's contact, and nothing we text them would be read.
        log.info("text from a one-way sender ignored", extra={"message_sid": event.message_sid})
        ctx.metrics.replies.labels(intent="one_way_sender").inc()
        return
    # whatsapp:+1... is the same person as +1...: contacts, opt-outs and context by the number.
    key = phone_key(event.sender)
    contacts = [
        c
        for kind, id_ in await ctx.directory.owners(key)
        if (c := await ctx.directory.get(kind, id_)) is not None
    ]
    site_id = ctx.site_by_number(sms_phone(event.to_phone)) or next(
        (c.site_id for c in contacts if c.site_id), None
    )
    if event.media_only:
        # A picture without words: nothing to read, so it answers no prompt; the sender is
        # told, in their language, that pictures cannot be read (the reply's id comes from the
        # MessageSid, and one such answer per number and quarter hour, like HELP's).
        log.info("picture without text", extra={"message_sid": event.message_sid})
        await _reply(ctx, event, key, contacts, site_id, MEDIA_UNREADABLE)
        ctx.metrics.replies.labels(intent="media_only").inc()
        return
    record = await ctx.directory.opt_out_state(key)
    opted_out, blocked = record is not None, bool(record and record.carrier)
    # A keyword Twilio matched is Twilio's: it answered it already and, for STOP, blocks the
    # number; the ledger follows it, and nothing here answers it a second time.
    answered = answered_by_twilio(
        event.body, opt_out_type=event.opt_out_type, mode=ctx.opt_out_mode, blocked=blocked
    )
    keyword = (
        KEYWORD_OF[answered] if answered else classify_keyword(event.body, opted_out=opted_out)
    )
    ids = {"message_sid": event.message_sid, "keyword": keyword or ""}
    # A clinician's text is about a patient ("ACK 1234, overdose confirmed"), not a crisis.
    clinician = bool(contacts) and all(c.kind == "clinician" for c in contacts)
    crisis = screen(event.body) if not clinician else None
    if clinician and keyword == "opt_out":
        # Pages are clinical operations: a clinician's STOP changes no consent
        # (ESC-CLINICIAN-STOP); they are told so and their site lead is warned; the roster
        # decides.
        if answered == "STOP":
            # Twilio blocks the number now, pages included: the ledger says so too, so that
            # escalation moves on to the next person instead of a page that cannot go out.
            await ctx.directory.opt_out(
                key, evidence=event.message_sid, at=event.received_at, confirm=False, carrier=True
            )
        await _clinician_stop(ctx, event, key, contacts, site_id, answered=answered)
        ctx.metrics.replies.labels(intent="clinician_stop").inc()
        return
    stopped = None
    if keyword == "opt_out":
        # Written before anything is requested, so that even the crisis text sees it.
        # One of Twilio's STOP words: Twilio confirmed it and blocks the number. Any other
        # opt-out ("stop please", "STOP REMINDERS") Twilio never saw: ours to confirm.
        twilio = answered == "STOP"
        stopped = await ctx.directory.opt_out(
            key,
            evidence=event.message_sid,
            at=event.received_at,
            confirm=not twilio,
            carrier=twilio,
        )
    if crisis is not None:
        log.warning(
            "crisis language in an inbound text",
            extra={**ids, "severity": crisis.level, "categories": ",".join(crisis.categories)},
        )
        await _crisis(ctx, event, key, contacts, site_id, crisis)
    if stopped is not None:
        visit = await _visit_named(ctx, event, key) if cancel_word(event.body) else None
        await _opt_out(
            ctx, event, key, contacts, site_id, stopped, visit=visit, answered=answered == "STOP"
        )
        ctx.metrics.replies.labels(intent="opt_out").inc()
        return
    if keyword == "opt_in":
        if blocked and answered != "START":
            # RESUME, SUBSCRIBE, "start please": words Twilio does not know, so its block
            # stays, and a confirmation (or any text) would be refused with 21610. The ledger
            # stays as Twilio has it; only START, UNSTOP or YES lifts both.
            log.info(
                "opt-in word Twilio does not know; the number stays blocked",
                extra={"message_sid": event.message_sid},
            )
            ctx.metrics.replies.labels(intent="opt_in_blocked").inc()
            return
        await _opt_in(ctx, event, key, contacts, site_id, answered=answered == "START")
    elif keyword == "help":
        if answered != "HELP":  # HELP and INFO: Twilio's answer went out already
            await _reply(ctx, event, key, contacts, site_id, "help")
    elif keyword == "opt_out_unsure" and not clinician and not opted_out:
        # Probably "stop texting me", not surely: ask once rather than carry on; "I want to
        # cancel" after a visit text may be about the visit, so the clinic hears of it too.
        if _CANCEL & set(tokens(event.body)):
            await _visit_named(ctx, event, key)
        await _reply(ctx, event, key, contacts, site_id, "opt_out_clarify")
    else:
        await _contextual(ctx, event, key, contacts, site_id, crisis=crisis is not None)
    ctx.metrics.replies.labels(intent=keyword or "reply").inc()


async def _clinician_stop(
    ctx: Context,
    event: InboundSmsReceived,
    key: str,
    contacts: list[Contact],
    site_id: str | None,
    *,
    answered: TwilioKeyword | None,
) -> None:
    clinician = contacts[0]
    log.warning(
        "clinician texted an opt-out word; pages go on",
        extra={"message_sid": event.message_sid, "clinician_id": clinician.id},
    )
    await ctx.publish(
        OperationalWarning(
            event_id=IDS.id(event.message_sid, "clinician-stop"),
            warning="clinician_stop_request",
            site_id=clinician.site_id or site_id,
            clinician_id=clinician.id,
            detail=f"clinician {clinician.id} texted an opt-out word; pages cannot be "
            "stopped by text, the site lead decides through the roster"
            + (
                "; Twilio blocks texts to the number (pages too) until it texts START"
                if answered == "STOP"
                else ""
            ),
            source=SOURCE,
            correlation_id=str(event.event_id),
        )
    )
    if answered != "STOP":  # a blocked number cannot be told (21610)
        await _reply(ctx, event, key, contacts, site_id, "clinician_stop_reply")


async def _visit_named(ctx: Context, event: InboundSmsReceived, key: str) -> str | None:
    """CANCEL right after an appointment text may mean the visit: the clinic is asked to
    call back about it (AppointmentChangeRequested), besides the opt-out. The visit's id,
    or None when the newest prompt was not about a visit."""
    prompts = await ctx.directory.prompts(key, event.received_at)
    latest = next((p for p in prompts if p.kind in ("dose", "appointment", "checkin")), None)
    if latest is None or latest.kind != "appointment":
        return None
    await replies.publish(ctx, event, key, Intent("appt_cancel", latest))
    return latest.ref


async def _opt_out(
    ctx: Context,
    event: InboundSmsReceived,
    key: str,
    contacts: list[Contact],
    site_id: str | None,
    record: OptOut,
    *,
    visit: str | None = None,
    answered: bool = False,
) -> None:
    if record.evidence != event.message_sid:
        log.info(
            "already opted out; no second confirmation",
            extra={"message_sid": event.message_sid},
        )
        return
    log.info("number opted out", extra={"message_sid": event.message_sid})
    await ctx.announce_consent(
        key, status="revoked", channel="sms_keyword", evidence=event.message_sid
    )
    if answered:
        return  # Twilio's confirmation went out, and the number is blocked for ours
    template = "opt_out_confirmation_visit" if visit else "opt_out_confirmation"
    await _reply(ctx, event, key, contacts, site_id, template)


async def _opt_in(
    ctx: Context,
    event: InboundSmsReceived,
    key: str,
    contacts: list[Contact],
    site_id: str | None,
    *,
    answered: bool,
) -> None:
    if not contacts:
        # Nobody enrolled this number: no consent is on file to restore, and "you will get
        # reminders again" would be untrue. Somebody trying to subscribe a number we never had.
        security_event(
            "opt_in_from_unknown_number",
            service="dispatcher",
            message_sid=event.message_sid,
            event_id=str(event.event_id),
        )
        return
    if await ctx.directory.opt_in(key, evidence=event.message_sid):
        log.info("number opted back in", extra={"message_sid": event.message_sid})
        await ctx.announce_consent(
            key, status="granted", channel="sms_keyword", evidence=event.message_sid
        )
    if not answered:  # START, UNSTOP, YES: Twilio's confirmation went out
        await _reply(ctx, event, key, contacts, site_id, "opt_in_confirmation")


async def _crisis(
    ctx: Context,
    event: InboundSmsReceived,
    key: str,
    contacts: list[Contact],
    site_id: str | None,
    crisis: CrisisMatch,
) -> None:
    patients = await _patients_behind(ctx, key, contacts, event.received_at)
    for patient_id in patients or [f"anon-{key[:20]}"]:
        await ctx.publish(
            ClinicalAlertRaised(
                event_id=IDS.id(event.message_sid, "crisis", patient_id),
                alert_id=f"sms-{event.message_sid}"[:128]
                if len(patients) <= 1
                else f"sms-{event.message_sid}-{patient_id}"[:128],
                patient_id=patient_id,
                site_id=site_id,
                severity=crisis.level,
                rule_id=RULE_ID,
                evidence=[
                    Evidence(
                        kind="sms",
                        ref=event.message_sid,
                        detail="crisis language in an inbound text: "
                        + ", ".join(crisis.categories),
                    )
                ],
                suggested_action="Contact the patient now; follow the P0 protocol.",
                dedup_key=f"{patient_id}:{RULE_ID}",
                source=SOURCE,
                correlation_id=str(event.event_id),
            )
        )
    await _reply(ctx, event, key, contacts, site_id, "crisis_resources")


async def _patients_behind(
    ctx: Context, key: str, contacts: list[Contact], now: datetime
) -> list[str]:
    """The patients a text from this number is about: the last prompt's, else all."""
    prompts = await ctx.directory.prompts(key, now)
    candidates = [c.id for c in contacts if c.kind == "patient"]
    candidates += [p for c in contacts if c.kind == "caregiver" for p in c.patients]
    for prompt in prompts:
        if prompt.patient_id in candidates:
            return [prompt.patient_id]
    return list(dict.fromkeys(candidates))


async def _reply(
    ctx: Context,
    event: InboundSmsReceived,
    key: str,
    contacts: list[Contact],
    site_id: str | None,
    template: str,
) -> None:
    """Answer the sender on the urgent lane (keyword replies are never delayed)."""
    audience = "clinician" if template == "clinician_stop_reply" else "patient"
    recipient = next(
        (c for c in contacts if (c.kind == "clinician") == (audience == "clinician")), None
    ) or next(iter(contacts), None)
    if recipient is None:
        recipient = await _anonymous(ctx, event, key, site_id)
    # One crisis text, HELP, START or picture answer per number per quarter hour, whatever it sends:
    # no text storm, and no endless loop with an auto-responder.
    bucket = event.received_at.replace(
        minute=event.received_at.minute // 15 * 15, second=0, microsecond=0
    )
    if template.startswith("opt_out_confirmation"):
        dedup = f"opt_out_confirmation:{event.message_sid}"
    elif template == "opt_out_clarify":
        # Asked once a day at most: a patient who meant it will say STOP.
        dedup = f"{template}:{key}:{event.received_at.date().isoformat()}"
    else:
        dedup = f"{template}:{key}:{bucket.isoformat()}"
    await ctx.publish(
        NotificationRequested(
            notification_id=IDS.id(event.message_sid, template),
            event_id=IDS.id(event.message_sid, template, "request"),
            recipient=Recipient(kind=recipient.kind, id=recipient.id),  # type: ignore[arg-type]
            template_id=template,
            category=CATEGORY_OF.get(template, template),  # type: ignore[arg-type]
            priority="urgent",
            dedup_key=dedup,
            patient_id=recipient.id if recipient.kind == "patient" else None,
            site_id=site_id or recipient.site_id,
            source=SOURCE,
            correlation_id=str(event.event_id),
        )
    )


async def _anonymous(
    ctx: Context, event: InboundSmsReceived, key: str, site_id: str | None
) -> Contact:
    """A directory entry for a number we do not know, so HELP and crisis texts can answer."""
    contact = Contact(kind="patient", id=f"anon-{key[:20]}", phone=event.sender, site_id=site_id)
    if await ctx.directory.get(contact.kind, contact.id) is None:
        await ctx.directory.put(contact, index=False)
    return contact


async def _contextual(
    ctx: Context,
    event: InboundSmsReceived,
    key: str,
    contacts: list[Contact],
    site_id: str | None,
    *,
    crisis: bool,
) -> None:
    prompts = await ctx.directory.prompts(key, event.received_at)
    intent = interpret(event.body, prompts)
    understood = await replies.publish(ctx, event, key, intent, crisis=crisis)
    if not understood and not crisis:
        await _unread(ctx, event, key, contacts, site_id)


async def _unread(
    ctx: Context, event: InboundSmsReceived, key: str, contacts: list[Contact], site_id: str | None
) -> None:
    """A text nobody could read reaches a person: a P3 item on the site's work queue (the
    daily digest), one per patient and day, the repeats counted into it. The text stays on
    mtm.sms.inbound; the alert names only its MessageSid."""
    if contacts and all(c.kind == "clinician" for c in contacts):
        return  # a clinician's chatter ("on my way") is nobody's work item
    patients = await _patients_behind(ctx, key, contacts, event.received_at)
    day = event.received_at.date().isoformat()
    for patient_id in patients or [f"anon-{key[:20]}"]:
        await ctx.publish(
            ClinicalAlertRaised(
                event_id=IDS.id(event.message_sid, "unread", patient_id),
                alert_id=f"unread-{event.message_sid}-{patient_id}"[:128],
                patient_id=patient_id,
                site_id=site_id,
                severity="P3",
                rule_id=UNREAD_RULE_ID,
                evidence=[
                    Evidence(kind="sms", ref=event.message_sid, detail="text not understood")
                ],
                suggested_action="Read the patient's text; reply or call if it needs it.",
                dedup_key=f"{patient_id}:{UNREAD_RULE_ID}:{day}",
                source=SOURCE,
                correlation_id=str(event.event_id),
            )
        )
