"""Security events about inbound texts that the reply handling does not log itself.

A START from a number nobody enrolled changes no record (no one's consent is on file for it), but
it is somebody trying to subscribe a number we never had: worth one `security event` line, with
ids only (never the number, never the text).
"""

from __future__ import annotations

from services.dispatcher.rules.keywords import classify_keyword
from services.dispatcher.service import Service
from shared.events import InboundSmsReceived, phone_key
from shared.logging import security_event


async def audit_inbound(svc: Service, event: InboundSmsReceived) -> None:
    """Log a START (or YES after a STOP) from a number no patient, caregiver or clinician uses."""
    key = phone_key(event.from_phone)
    opted_out = await svc.directory.opt_out_state(key) is not None
    if classify_keyword(event.body, opted_out=opted_out) != "opt_in":
        return
    if await svc.directory.owners(key):
        return
    security_event(
        "opt_in_from_unknown_number",
        service="dispatcher",
        message_sid=event.message_sid,
        event_id=str(event.event_id),
    )
