"""An unclear answer to a check-in item is asked again, once, by the dispatcher: it owns the
prompt and the conversation, so the symptoms service only ever sees clear answers."""

from __future__ import annotations

import logging
from datetime import datetime

from services.dispatcher.context import IDS, SOURCE
from services.dispatcher.rules.replies import Prompt
from shared.events import InboundSmsReceived, NotificationRequested, Recipient, ReplyContext

log = logging.getLogger("mtm.dispatcher")

TEMPLATE = "checkin_item"


def reask(
    prompt: Prompt, event: InboundSmsReceived, *, now: datetime
) -> NotificationRequested | None:
    """The item again with "please answer with a number", or None: the prompt was itself the
    re-ask (asked once, then the session waits for a clear answer or its end), or it expired."""
    extra = prompt.extra
    if extra.get("reask") == "1":
        return None
    expires = extra.get("expires_at")
    expires_at = datetime.fromisoformat(expires) if expires else None
    if expires_at is not None and now >= expires_at:
        return None
    variables: dict[str, str] = {k: extra[k] for k in ("instrument", "item", "of") if k in extra}
    # One re-ask per prompt, whatever is texted after it: ids and key derive from the prompt.
    return NotificationRequested(
        event_id=IDS.id(prompt.notification_id, "reask", "request"),
        notification_id=IDS.id(prompt.notification_id, "reask"),
        recipient=Recipient(kind="patient", id=prompt.recipient_id),
        patient_id=prompt.patient_id or prompt.recipient_id,
        template_id=TEMPLATE,
        category="checkin_item",
        priority="routine",
        variables={**variables, "reask": "1"},
        expires_at=expires_at,
        dedup_key=f"checkin-reask:{prompt.notification_id}",
        # An answer to what the patient just texted: not capped, not held for quiet hours.
        reply_context=ReplyContext(
            kind="checkin", ref=prompt.ref, extra={**extra, "reask": "1", "follow_up": "1"}
        ),
        source=SOURCE,
        correlation_id=str(event.event_id),
    )
