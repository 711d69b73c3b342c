"""The table at the end: messages per kind, suppressions per reason, alerts, time to ACK."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from demo.cast import WHO
from demo.timeline import KIND, Timeline, local

SEVERITIES = ("P0", "P1", "P2", "P3")


def _rows(title: str, counts: Counter[str], label: dict[str, str] | None = None) -> list[str]:
    rows = [f"  {title}"]
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(f"    {(label or {}).get(key, key):<28}{n:>4}")
    if not counts:
        rows.append("    (none)")
    rows.append(f"    {'total':<28}{sum(counts.values()):>4}")
    return rows


def summary(t: Timeline, *, start: datetime, end: datetime) -> list[str]:
    """Plain-text tables, one section after the other."""
    out = [
        "== Summary " + "=" * 69,
        f"  from {local(start, 'America/Chicago', '%a %d %b %H:%M')} "
        f"to {local(end, 'America/Los_Angeles', '%a %d %b %H:%M')}",
        *_rows("messages sent, by kind", t.sent, KIND),
        f"    {'delivered (carrier receipts)':<28}{t.delivered:>4}",
        *_rows("suppressed, by reason", t.suppressed),
    ]
    by_severity = Counter(a.severity for a in t.alerts.values())
    out.append("  alerts raised, by severity")
    for severity in SEVERITIES:
        rules = sorted({a.rule_id for a in t.alerts.values() if a.severity == severity})
        out.append(f"    {severity:<6}{by_severity[severity]:>4}   {', '.join(rules)}".rstrip())
    out.append("  time to acknowledge (first page to ACK)")
    paged = [a for a in t.alerts.values() if a.first_page is not None]
    for a in sorted(paged, key=lambda a: a.first_page or a.raised_at):
        patient = WHO[a.patient_id].label if a.patient_id in WHO else a.patient_id
        head = f"    alert {a.code:<6} {a.severity} {a.rule_id:<16} {patient:<20}"
        if a.acked_at is None or a.first_page is None:
            out.append(f"{head} not acknowledged")
            continue
        minutes = int((a.acked_at - a.first_page).total_seconds() // 60)
        by = WHO[a.acked_by].name if a.acked_by in WHO else a.acked_by
        ladder = f"escalated {a.escalations}x" if a.escalations else "no escalation"
        closed = (
            f", resolved {int((a.resolved_at - a.acked_at).total_seconds() // 60)} min later"
            if a.resolved_at is not None
            else ", not resolved"
        )
        out.append(f"{head} {minutes:>3} min  by {by}, {ladder}{closed}")
    if not paged:
        out.append("    (no pages)")
    return out
