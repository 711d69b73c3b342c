"""Check-in items that answer the patient: after the first item of a session, each item goes
out because the patient just replied, so it is a reply to a patient-initiated message
(SMS-QUIET): never held for quiet hours and not counted against the caps. The first item is a
routine system text like any other."""

from __future__ import annotations

from datetime import datetime

from services.dispatcher.contacts.directory import Contact, Directory
from shared.events import NotificationRequested


async def answers_the_patient(
    directory: Directory, req: NotificationRequested, contact: Contact | None, now: datetime
) -> bool:
    """A follow-up item of the session this phone is answering right now."""
    reply = req.reply_context
    if contact is None or req.category != "checkin_item" or reply.kind != "checkin":
        return False
    if reply.extra.get("follow_up") != "1" or not reply.ref:
        return False
    # Trusted only while the phone's newest check-in prompt belongs to the same session.
    latest = next(
        (p for p in await directory.prompts(contact.phone_key, now) if p.kind == "checkin"), None
    )
    return latest is not None and latest.ref == reply.ref
