"""The events this service emits: pages, notices, digests and the audit trail, no PHI.

Ids are derived from what the event means (alert, step, clinician) in the service's `IDS`, so an
event re-published after a crash carries the same event_id and notification_id and is recognised
downstream."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL

from shared.events import (
    AlertAcknowledged,
    AlertEscalated,
    AlertPaged,
    AlertResolved,
    NotificationRequested,
    OperationalWarning,
    Recipient,
    ReplyContext,
)
from shared.ids import IdSpace

SOURCE = "escalation"
PAGE_TEMPLATE = "clinician_page"
NOTICE_TEMPLATE = "clinician_notice"
REMINDER_TEMPLATE = "clinician_resolve_reminder"
DIGEST_TEMPLATE = "digest"

IDS = IdSpace(NAMESPACE_URL, source=SOURCE, prefix="mtm-escalation:")
"""uuid5(NAMESPACE_URL, "mtm-escalation:" + ":".join(parts)): fixed forever (test_ids.py)."""


def page_request(
    *,
    alert_id: str,
    site_id: str,
    code: str,
    severity: str,
    site_name: str,
    step: int,
    clinician_id: str,
    now: datetime,
    kind: str = "page",
) -> NotificationRequested:
    """'Patient alert P0 #4821 at Austin. Reply ACK 4821.': severity, code and site only.

    kind="reminder": to the acknowledger of an alert still unresolved, 'Alert P0 #4821 at
    Austin acknowledged, not resolved. Reply RESOLVE 4821 when done.' Both are pages (category
    `clinician_page`, urgent: quiet hours and caps do not apply) with the page's reply context,
    so the reply ACK or RESOLVE 4821 is read against this alert."""
    return NotificationRequested(
        **IDS.envelope(
            f"{kind}-request",
            alert_id,
            step,
            clinician_id,
            now=now,
            correlation_id=alert_id,
            site_id=site_id,
        ),
        notification_id=IDS.id(kind, alert_id, step, clinician_id),
        recipient=Recipient(kind="clinician", id=clinician_id),
        template_id=REMINDER_TEMPLATE if kind == "reminder" else PAGE_TEMPLATE,
        variables={"severity": severity, "code": code, "site": site_name},
        category="clinician_page",
        priority="urgent",
        dedup_key=f"{kind}:{alert_id}:{step}:{clinician_id}",
        reply_context=ReplyContext(kind="page", ref=code, extra={"alert_id": alert_id}),
    )


def reminder_request(**fields: Any) -> NotificationRequested:
    """The acknowledger's reminder of an unresolved alert (see page_request)."""
    return page_request(**fields, kind="reminder")


def notice_request(
    *,
    alert_id: str,
    site_id: str,
    code: str,
    site_name: str,
    clinician_id: str,
    now: datetime,
    acknowledged_by: str | None = None,
) -> NotificationRequested:
    """'Alert 4821 has been acknowledged': to the others paged, so they can stand down.
    `acknowledged_by` names a takeover, whose notices are texts of their own."""
    extra = (acknowledged_by,) if acknowledged_by else ()
    return NotificationRequested(
        **IDS.envelope(
            "notice-request",
            alert_id,
            clinician_id,
            *extra,
            now=now,
            correlation_id=alert_id,
            site_id=site_id,
        ),
        notification_id=IDS.id("notice", alert_id, clinician_id, *extra),
        recipient=Recipient(kind="clinician", id=clinician_id),
        template_id=NOTICE_TEMPLATE,
        variables={"code": code, "site": site_name},
        category="clinician_notice",
        priority="urgent",
        dedup_key=":".join(("notice", alert_id, clinician_id, *extra)),
    )


def digest_request(
    *, site_id: str, local_date: str, clinician_id: str, counts: dict[str, int], now: datetime
) -> NotificationRequested:
    """The day's P2/P3 items of a site as counts only."""
    total = min(sum(counts.values()), 9999)
    variables = {"count": str(total)}
    variables.update({sev.lower(): str(min(n, 9999)) for sev, n in sorted(counts.items())})
    return NotificationRequested(
        **IDS.envelope("digest-request", site_id, local_date, now=now, site_id=site_id),
        notification_id=IDS.id("digest", site_id, local_date),
        recipient=Recipient(kind="clinician", id=clinician_id),
        template_id=DIGEST_TEMPLATE,
        variables=variables,
        category="digest",
        priority="routine",
        dedup_key=f"digest:{site_id}:{local_date}",
    )


def paged(
    *,
    alert_id: str,
    patient_id: str,
    site_id: str,
    code: str,
    step: int,
    clinician_id: str,
    notification_id: str,
    role: str,
    severity: str,
    now: datetime,
    delivery: str = "requested",
) -> AlertPaged:
    """Audit: a clinician was paged (delivery 'requested'), or the carrier's report on it."""
    return AlertPaged(
        **IDS.envelope(
            "paged",
            alert_id,
            step,
            clinician_id,
            delivery,
            now=now,
            correlation_id=alert_id,
            patient_id=patient_id,
            site_id=site_id,
        ),
        alert_id=alert_id,
        code=code,
        clinician_id=clinician_id,
        step=step,
        notification_id=notification_id,
        delivery=delivery,  # type: ignore[arg-type]
        role=role,
        severity=severity,  # type: ignore[arg-type]
    )


def escalated(
    *,
    alert_id: str,
    patient_id: str,
    site_id: str,
    from_step: int,
    to_step: int,
    reason: str,
    now: datetime,
) -> AlertEscalated:
    """Audit: the alert moved to its next step, and why."""
    return AlertEscalated(
        **IDS.envelope(
            "escalated",
            alert_id,
            to_step,
            now=now,
            correlation_id=alert_id,
            patient_id=patient_id,
            site_id=site_id,
        ),
        alert_id=alert_id,
        from_step=from_step,
        to_step=to_step,
        reason=reason,  # type: ignore[arg-type]
    )


def acknowledged(
    *,
    alert_id: str,
    patient_id: str,
    site_id: str,
    code: str,
    clinician_id: str,
    message_sid: str | None,
    now: datetime,
    takeover: bool = False,
) -> AlertAcknowledged:
    """Audit: the alert is acknowledged (this service's confirmation, source 'escalation');
    a takeover by another clinician is an event of its own."""
    return AlertAcknowledged(
        **IDS.envelope(
            "acknowledged",
            alert_id,
            *((clinician_id,) if takeover else ()),
            now=now,
            correlation_id=alert_id,
            patient_id=patient_id,
            site_id=site_id,
        ),
        alert_id=alert_id,
        code=code,
        clinician_id=clinician_id,
        message_sid=message_sid,
    )


def resolved(
    *,
    alert_id: str,
    patient_id: str,
    site_id: str,
    code: str,
    clinician_id: str,
    outcome: str,
    now: datetime,
) -> AlertResolved:
    """Audit: the alert is closed (this service's confirmation, source 'escalation')."""
    return AlertResolved(
        **IDS.envelope(
            "resolved",
            alert_id,
            now=now,
            correlation_id=alert_id,
            patient_id=patient_id,
            site_id=site_id,
        ),
        alert_id=alert_id,
        code=code,
        clinician_id=clinician_id,
        outcome=outcome,
    )


def warning(
    *,
    kind: str,
    site_id: str | None,
    detail: str,
    key: str,
    now: datetime,
    correlation_id: str | None = None,
    alert_id: str | None = None,
    clinician_id: str | None = None,
) -> OperationalWarning:
    """An operator warning (no_one_on_call, roster_gap, alert_unresolved, ...); `key` makes its
    id stable, so a step run again raises the same warning, not a second one."""
    return OperationalWarning(
        **IDS.envelope(
            "warning",
            kind,
            key,
            now=now,
            correlation_id=correlation_id,
            site_id=site_id,
        ),
        warning=kind,  # type: ignore[arg-type]
        detail=detail[:256],
        alert_id=alert_id,
        clinician_id=clinician_id,
    )


LEAD_NOTICE_TEMPLATE = "site_lead_notice"


def lead_notice_request(
    *, site_id: str, site_name: str, director_id: str, clinician_id: str, day: str, now: datetime
) -> NotificationRequested:
    """To a site's lead: one of their on-call clinicians texted STOP (pages cannot be stopped
    by text; the roster is where a clinician comes off paging). Once a day per clinician."""
    return NotificationRequested(
        **IDS.envelope(
            "lead-notice-request",
            site_id,
            clinician_id,
            day,
            now=now,
            correlation_id=f"stop:{clinician_id}"[:128],
            site_id=site_id,
        ),
        notification_id=IDS.id("lead-notice", site_id, clinician_id, day),
        recipient=Recipient(kind="clinician", id=director_id),
        template_id=LEAD_NOTICE_TEMPLATE,
        variables={"clinician": clinician_id[:24], "site": site_name},
        category="clinician_notice",
        priority="routine",
        dedup_key=f"lead-notice:{site_id}:{clinician_id}:{day}",
    )
