"""Fail safe on bad inbound records: an `mtm.sms.inbound` record that fails validation but whose
text reads as crisis language still raises the safety alert (and, when the sender's number is
readable, gets the crisis text), before the record is dead-lettered with a safety-lane warning.

Either the record is repaired into a valid InboundSmsReceived (the sender's number and the text
readable; the rest defaulted) and handled like any text, or, with no number to answer, only the
alert is raised, for a stand-in patient id derived from the record's bytes."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.dispatcher.context import IDS, SOURCE, Context
from services.dispatcher.inbound.inbound import on_inbound
from services.dispatcher.rules.crisis import RULE_ID, screen
from shared.events import ClinicalAlertRaised, Evidence, InboundSmsReceived
from shared.events.base import instant_or_none

log = logging.getLogger("mtm.dispatcher")

_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")


def repair(
    raw: bytes | str, *, now: datetime, default_to: str
) -> InboundSmsReceived | dict[str, Any] | None:
    """A valid event from a broken record with crisis words; the parsed record when only the
    text is readable (no number to answer); None when the text holds no crisis language."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        return None
    if screen(data["body"]) is None:
        return None
    digest = hashlib.sha256(raw if isinstance(raw, bytes) else raw.encode()).hexdigest()
    sid = data.get("message_sid")
    message_sid = sid if isinstance(sid, str) and _SID.match(sid) else f"SM{digest[:32]}"
    fields = {
        "event_id": IDS.id(message_sid, "salvaged"),
        "message_sid": message_sid,
        "from_phone": data.get("from_phone"),
        "to_phone": data.get("to_phone") if isinstance(data.get("to_phone"), str) else default_to,
        "body": data["body"][:1600],
        "received_at": instant_or_none(data.get("received_at")) or now,
        "occurred_at": now,
        "source": "salvaged",
    }
    try:
        return InboundSmsReceived(**fields)
    except ValidationError:
        pass
    try:
        return InboundSmsReceived(**{**fields, "to_phone": default_to})
    except ValidationError:
        return {**fields, "digest": digest}


async def salvage(ctx: Context, raw: bytes) -> None:
    """Act on the crisis language of a broken inbound record (see the module)."""
    _, site = ctx.site(None)
    found = repair(raw, now=ctx.clock.now(), default_to=site.from_number or "")
    if found is None:
        return
    if isinstance(found, InboundSmsReceived):
        log.warning("crisis text rescued from an invalid record", extra=found.log_fields())
        await on_inbound(ctx, found)
        return
    match = screen(found["body"])
    assert match is not None
    patient_id = f"anon-unknown-{found['digest'][:16]}"
    log.warning("crisis text rescued from an invalid record without a sender")
    await ctx.publish(
        ClinicalAlertRaised(
            event_id=IDS.id(found["message_sid"], "crisis", patient_id),
            alert_id=f"sms-{found['message_sid']}"[:128],
            patient_id=patient_id,
            severity=match.level,
            rule_id=RULE_ID,
            evidence=[
                Evidence(
                    kind="sms",
                    ref=found["message_sid"],
                    detail="crisis language in an unreadable inbound record (no sender to "
                    "answer): " + ", ".join(match.categories),
                )
            ],
            suggested_action="Find the sender in the dead letter (mtm.sms.inbound.dlq); follow "
            "the P0 protocol.",
            dedup_key=f"{patient_id}:{RULE_ID}",
            source=SOURCE,
        )
    )
