"""What happened, read off the topics as it happened, and rendered in each person's local time.

The timeline subscribes to the topics like any other consumer (its own groups): what was sent
(NotificationSent, with the body the fake SMS transport received), held or dropped
(NotificationSuppressed), what a reply became (DoseTaken, AppointmentConfirmed, ConsentChanged,
AlertAcknowledged), and the alerts and their ladders on mtm.alerts. Times are the fake clock's
when the event arrived; nothing here depends on the wall clock or on random ids."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from faststream.kafka import KafkaBroker

from demo.cast import BY_PHONE, SITE_BY_ID, WHO, Site
from demo.fake_sms import FakeSms
from services.escalation.settings import EscalationSection
from shared import events as ev
from shared import topics
from shared.clock import Clock

KIND = {
    "dose_reminder": "dose reminder",
    "dose_followup": "dose follow-up",
    "refill_reminder": "refill reminder",
    "caregiver_missed_dose": "caregiver notice",
    "appointment_booked": "booking confirmation",
    "appointment_reminder": "appointment reminder",
    "appointment_cancelled": "cancellation notice",
    "appointment_rebook": "rebooking invitation",
    "checkin_item": "check-in question",
    "crisis_resources": "crisis text",
    "clinic_callback": "callback request",
    "clinician_page": "page",
    "clinician_notice": "notice",
    "digest": "digest",
    "opt_out_confirmation": "STOP confirmation",
    "opt_in_confirmation": "START confirmation",
    "help": "HELP answer",
}
CLASSES = {"ssri": "SSRI", "snri": "SNRI", "lithium": "mood stabiliser"}
"""Drug classes as the timeline names them (the others read well as they are)."""
LADDERS = EscalationSection().ladders
"""The escalation service's default ladders (the demo runs it on its defaults)."""
WATCHED = (
    topics.PATIENTS,
    topics.APPOINTMENTS,
    topics.MEDICATIONS,
    topics.SYMPTOMS,
    topics.CLINICIANS,
    topics.ALERTS,
    topics.NOTIFY_STATUS,
    topics.SMS_INBOUND,
)


def local(at: datetime, zone: str, fmt: str = "%a %H:%M") -> str:
    """'Tue 08:00 CDT': a UTC instant as wall time in a zone, with the zone's abbreviation."""
    here = at.astimezone(ZoneInfo(zone))
    return f"{here.strftime(fmt)} {here.tzname()}"


@dataclass
class Line:
    at: datetime
    who: str
    zone: str
    what: str
    detail: str = ""
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        text = f"{local(self.at, self.zone):<13}  {self.who:<20}  {self.what}"
        if self.detail:
            text += f"  {self.detail}"
        return text + "".join(f"  => {n}" for n in self.notes)


@dataclass
class Alert:
    """One alert's story, for the summary."""

    alert_id: str
    severity: str
    rule_id: str
    patient_id: str
    site: Site | None
    raised_at: datetime
    code: str = ""
    first_page: datetime | None = None
    escalations: int = 0
    acked_by: str = ""
    acked_at: datetime | None = None
    resolved_at: datetime | None = None


class Timeline:
    """Collects the lines and the counts of a run."""

    def __init__(self, clock: Clock, sms: FakeSms) -> None:
        self.clock = clock
        self.sms = sms
        self.lines: list[Line] = []
        self.sent: Counter[str] = Counter()
        self.suppressed: Counter[str] = Counter()
        self.delivered = 0
        self.alerts: dict[str, Alert] = {}
        self.dead_letters: list[str] = []
        self._by_sid: dict[str, Line] = {}
        self._by_notification: dict[str, Line] = {}
        self._pages: dict[str, str] = {}
        self._drugs: dict[str, str] = {}

    def watch(self, broker: KafkaBroker) -> None:
        """Subscribe to every topic the story is told from, and to every dead-letter topic."""
        for topic in WATCHED:
            broker.subscriber(topic, group_id=f"demo-timeline-{topic}")(self._subscriber(topic))

        @broker.subscriber(*(topics.dlq(t) for t in topics.ALL_TOPICS), group_id="demo-dlq")
        async def dead(body: Any) -> None:
            self.dead_letters.append(str(body)[:200])

    def _subscriber(self, topic: str) -> Any:
        async def on_event(body: dict[str, Any]) -> None:
            self.record(ev.parse_event(topic, body))

        return on_event

    def last_page_code(self, clinician_id: str) -> str:
        return self._pages[clinician_id]

    def now(self) -> datetime:
        return self.clock.now()

    def _add(self, who: str, zone: str, what: str, detail: str = "") -> Line:
        line = Line(self.clock.now(), who, zone, what, detail)
        self.lines.append(line)
        return line

    def _person(self, kind: str, person_id: str) -> tuple[str, str]:
        person = WHO.get(person_id)
        if person is None:
            return f"{kind} {person_id}", "UTC"
        return person.label, person.zone

    def record(self, e: ev.Event) -> None:
        handler = getattr(self, f"_{e.event_type}", None)
        if handler is not None:
            handler(e)

    # mtm.patients, mtm.clinicians: the clinic's own records
    def _PatientEnrolled(self, e: ev.PatientEnrolled) -> None:
        who, zone = self._person("patient", e.patient_id)
        self._add(who, zone, "enrolled", "consents: " + ", ".join(e.consents))

    def _ConsentChanged(self, e: ev.ConsentChanged) -> None:
        line = self._by_sid.get(e.evidence or "")
        if line is not None and e.status == "revoked":
            line.notes.append("opted out of every programme" if e.scope == "all" else e.scope)

    def _RosterPublished(self, e: ev.RosterPublished) -> None:
        site = SITE_BY_ID[e.site_id]
        parts = []
        for shift in e.shifts[:2]:
            hours = f"{shift.start_local[-5:-3]}-{shift.end_local[-5:-3]}h"
            backup = f" (backup {WHO[shift.backup_id].name})" if shift.backup_id else ""
            parts.append(f"{hours} {WHO[shift.primary_id].name}{backup}")
        if e.director_id:
            parts.append(f"director {WHO[e.director_id].name}")
        self._add(f"{site.label} on call", site.zone, "roster", ", ".join(parts))

    # mtm.medications
    def _MedicationPlanStarted(self, e: ev.MedicationPlanStarted) -> None:
        who, zone = self._person("patient", e.patient_id)
        self._drugs[e.plan_id] = e.drug
        label = f"{e.drug} ({CLASSES.get(e.drug_class, e.drug_class)})"
        times = " and ".join(e.dose_times)
        since = f"since {e.start_date:%d %b %Y}" if e.start_date < e.occurred_at.date() else ""
        when = since or f"from {e.start_date:%a %d %b}"
        self._add(who, zone, "medication plan", f"{label}, daily at {times}, {when}")

    def _MedicationDispensed(self, e: ev.MedicationDispensed) -> None:
        who, zone = self._person("patient", e.patient_id)
        detail = f"{e.drug}, {e.days_supply} days' supply, filled {e.fill_date:%a %d %b}"
        self._add(who, zone, "pharmacy fill", detail)

    def _DoseTaken(self, e: ev.DoseTaken) -> None:
        line = self._by_sid.get(e.message_sid or "")
        if line is not None:
            line.notes.append(f"dose taken ({e.dose_id[-5:]} dose)")

    def _DoseMissed(self, e: ev.DoseMissed) -> None:
        who, zone = self._person("patient", e.patient_id)
        drug = self._drugs.get(e.plan_id, "")
        dose = f"{local(e.scheduled_at, zone, '%a %H:%M')} {drug} dose"
        self._add(who, zone, "dose missed", f"{dose}: no answer by the cut-off")

    # mtm.appointments
    def _AppointmentBooked(self, e: ev.AppointmentBooked) -> None:
        who, zone = self._person("patient", e.patient_id)
        how = "telehealth" if e.modality == "telehealth" else "in person"
        self._add(who, zone, "visit booked", f"{how}, {local(e.start, zone, '%a %d %b %H:%M')}")

    def _AppointmentConfirmed(self, e: ev.AppointmentConfirmed) -> None:
        line = self._by_sid.get(e.message_sid or "")
        if line is not None:
            line.notes.append("visit confirmed")

    # mtm.symptoms
    def _QuestionnaireCompleted(self, e: ev.QuestionnaireCompleted) -> None:
        who, zone = self._person("patient", e.patient_id)
        values = [a.value for a in e.answers if a.value is not None]
        detail = f"answers {' '.join(map(str, values))} (total {sum(values)}"
        item9 = next((a.value for a in e.answers if a.item == "9"), None)
        detail += f", item 9 = {item9})" if item9 is not None else ")"
        how = {"sms": "by SMS", "app": "in the app", "clinic": "at the clinic"}[e.channel]
        self._add(who, zone, f"{e.instrument} {how}", detail)

    def _QuestionnaireItemAnswered(self, e: ev.QuestionnaireItemAnswered) -> None:
        line = self._by_sid.get(e.message_sid or "")
        if line is not None:
            line.notes.append(f"{e.instrument} item {e.item} = {e.value}")

    def _CheckInPlanSet(self, e: ev.CheckInPlanSet) -> None:
        who, zone = self._person("patient", e.patient_id)
        day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[e.weekday]
        detail = f"{e.kind} by SMS every {e.every_days} days, {day} {e.local_time}"
        self._add(who, zone, "check-in plan", detail)

    # mtm.sms.inbound, mtm.notify.status: the texts themselves
    def _InboundSmsReceived(self, e: ev.InboundSmsReceived) -> None:
        person = BY_PHONE.get(e.from_phone)
        who, zone = (person.label, person.zone) if person else ("unknown number", "UTC")
        self._by_sid[e.message_sid] = self._add(who, zone, f'texts "{e.body}"')

    def _NotificationSent(self, e: ev.NotificationSent) -> None:
        who, zone = self._person(e.recipient.kind, e.recipient.id)
        body = next((m["body"] for m in self.sms.sent if m["sid"] == e.message_sid), "?")
        self.sent[e.category] += 1
        line = self._add(who, zone, f"<- {KIND[e.category]}", f'"{body}"')
        self._by_notification[str(e.notification_id)] = line

    def _NotificationDelivered(self, e: ev.NotificationDelivered) -> None:
        self.delivered += 1

    def _NotificationSuppressed(self, e: ev.NotificationSuppressed) -> None:
        who, zone = self._person(e.recipient.kind, e.recipient.id)
        self.suppressed[e.reason] += 1
        kind = KIND[e.category]
        if e.reason == "quiet_hours_deferred" and e.deferred_until is not None:
            until = local(e.deferred_until, zone, "%H:%M")
            self._add(who, zone, f"|| {kind} held", f"quiet hours: deferred to {until}")
        else:
            self._add(who, zone, f"xx {kind} not sent", e.reason.replace("_", " "))

    # mtm.alerts
    def _ClinicalAlertRaised(self, e: ev.ClinicalAlertRaised) -> None:
        who, zone = self._person("patient", e.patient_id)
        site = SITE_BY_ID.get(e.site_id or "")
        self.alerts[e.alert_id] = Alert(
            e.alert_id, e.severity, e.rule_id, e.patient_id, site, self.clock.now()
        )
        evidence = e.evidence[0].detail if e.evidence else ""
        more = f" (+{len(e.evidence) - 1} more)" if len(e.evidence) > 1 else ""
        line = self._add(who, zone, f"!! ALERT {e.severity} {e.rule_id}", f"{evidence}{more}")
        if getattr(LADDERS, e.severity).mode == "digest":
            line.notes.append("no page: into the site's daily digest")

    def _AlertPaged(self, e: ev.AlertPaged) -> None:
        alert = self.alerts.get(e.alert_id)
        if e.delivery != "requested" or alert is None:
            return
        alert.code = e.code
        alert.first_page = alert.first_page or self.clock.now()
        self._pages[e.clinician_id] = e.code
        line = self._by_notification.get(e.notification_id)
        if line is not None:
            line.what = f"<- PAGE, {e.role} (step {e.step})"

    @staticmethod
    def _on_call(alert: Alert) -> tuple[str, str]:
        """Who an alert's ladder belongs to: its site's on-call, or the network's."""
        if alert.site is None:
            return "network on call", "UTC"
        return f"{alert.site.label} on call", alert.site.zone

    def _AlertEscalated(self, e: ev.AlertEscalated) -> None:
        alert = self.alerts.get(e.alert_id)
        if alert is None:
            return
        alert.escalations += 1
        waited = ""
        if alert.first_page is not None:
            minutes = (self.clock.now() - alert.first_page).total_seconds() // 60
            waited = f" after {int(minutes)} min"
        reason = e.reason.replace("_", " ").replace("no ack", "no ACK")
        detail = f"alert {alert.code}: {reason}{waited}, step {e.from_step} -> {e.to_step}"
        self._add(*self._on_call(alert), "ladder escalates", detail)

    def _AlertAcknowledged(self, e: ev.AlertAcknowledged) -> None:
        if e.source != "escalation":
            line = self._by_sid.get(e.message_sid or "")
            if line is not None:
                line.notes.append(f"acknowledges alert {e.code}")
            return
        alert = self.alerts.get(e.alert_id or "")
        if alert is None:
            return
        alert.acked_by, alert.acked_at = e.clinician_id, self.clock.now()
        name = WHO[e.clinician_id].name if e.clinician_id in WHO else e.clinician_id
        detail = f"alert {e.code} by {name}; the ladder stops"
        self._add(*self._on_call(alert), "alert acknowledged", detail)

    def _AlertResolved(self, e: ev.AlertResolved) -> None:
        alert = self.alerts.get(e.alert_id or "")
        if e.source != "escalation" or alert is None or alert.resolved_at is not None:
            return
        alert.resolved_at = self.clock.now()
        name = WHO[e.clinician_id].name if e.clinician_id in WHO else e.clinician_id
        detail = f"alert {e.code} by {name} ({e.outcome}); closed"
        self._add(*self._on_call(alert), "alert resolved", detail)

    def _OperationalWarning(self, e: ev.OperationalWarning) -> None:
        site = SITE_BY_ID.get(e.site_id or "")
        who, zone = (f"{site.label} on call", site.zone) if site else ("network", "UTC")
        self._add(who, zone, f"!! WARNING {e.warning}", e.detail)

    def render(self) -> list[str]:
        """The lines, under a heading for each day of the network's clock (Austin's)."""
        out: list[str] = []
        day = ""
        for line in self.lines:
            heading = line.at.astimezone(ZoneInfo("America/Chicago")).strftime("%A %d %B %Y")
            if heading != day:
                out += ["", f"-- {heading} " + "-" * (60 - len(heading))]
                day = heading
            out.append(line.render())
        return out
