"""The known workload of a fault scenario, what it must produce, and the patients' and
clinicians' side of it (replies through the gateway, as Twilio would post them).

Three streams run at once, spread over `Size.window` seconds:

* appointments: one per patient, booked through the window, each texted three times (booking
  notice, then two cascade reminders `r1_after` and `r2_after` seconds after booking; the slot
  itself is a day ahead, so nothing expires);
* doses: one daily dose per patient on the adherence service's scaled clock; most patients
  answer "1", the others get the follow-up;
* P0 alerts: C-SSRS screeners with Q4 = yes (symptoms raises P0 and sends the crisis text;
  escalation pages primary, backup, director `ladder_step` seconds apart); the first `acked` are
  acknowledged by the paged clinician replying "ACK <code>".
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaProducer
from twilio.request_validator import RequestValidator

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID
from shared import events as ev
from shared.events import Event, topic_for
from tests.faults.stack import TOKEN, Stack

CHICAGO = ZoneInfo("America/Chicago")
SITES = {  # site id -> (area code, zone); the dispatcher's sender is +1<area>5550100
    "austin": ("512", "America/Chicago"),
    "houston": ("713", "America/Chicago"),
    "el-paso": ("915", "America/Denver"),
    "seattle": ("206", "America/Los_Angeles"),
}
DAY = timedelta(days=1)
DOSE_SCALE = 120
"""Adherence's scaled clock: one real second is two service minutes."""
DOSE_LEAD_MINUTES = 10
"""Service minutes from the workload's start to the first dose."""


@dataclass(frozen=True)
class Size:
    """How much of each stream a scenario drives."""

    appointments: int
    doses: int
    replied: int
    alerts: int
    acked: int
    window: float
    """Seconds over which appointment reminders, doses and alerts are spread."""
    r1_after: float = 20
    r2_after: float = 60
    """Seconds after booking of the two cascade reminders. More than the longest outage apart:
    a reminder that fires after the next one is due is dropped by design ("superseded", never
    a burst), which real cascades (days apart) never meet after a minute's outage."""
    ladder_step: float = 20
    """Seconds between the primary's, the backup's and the director's page."""


def cascade(size: Size) -> list[dict[str, Any]]:
    """The reminders service's cascade: two absolute steps, r1_after and r2_after seconds after
    booking (the slot is a day after booking)."""
    return [
        {"name": "r1", "before": DAY.total_seconds() - size.r1_after, "clock": "absolute"},
        {"name": "r2", "before": DAY.total_seconds() - size.r2_after, "clock": "absolute"},
    ]


def number(area: str, n: int) -> str:
    return f"+1{area}555{n:04d}"


@dataclass(frozen=True)
class Person:
    id: str
    site: str
    phone: str

    @property
    def zone(self) -> str:
        return SITES[self.site][1]

    @property
    def clinic_number(self) -> str:
        return number(SITES[self.site][0], 100)


@dataclass
class Plan:
    """The timeline of one run; built when the stack is up (T0 = `start`)."""

    size: Size
    start: datetime
    appointments: list[Person] = field(default_factory=list)
    doses: list[Person] = field(default_factory=list)
    flagged: list[Person] = field(default_factory=list)
    """Patients whose C-SSRS raises a P0."""
    clinicians: dict[str, dict[str, Person]] = field(default_factory=dict)
    """site -> role (primary, backup, director) -> clinician."""

    @classmethod
    def build(cls, size: Size, start: datetime) -> Plan:
        plan = cls(size=size, start=start)
        sites = list(SITES)
        for i in range(size.appointments):
            site = sites[i % len(sites)]
            plan.appointments.append(Person(f"pa-{i}", site, number(SITES[site][0], 1000 + i)))
        for i in range(size.doses):
            site = sites[i % len(sites)]
            plan.doses.append(Person(f"pd-{i}", site, number(SITES[site][0], 6000 + i)))
        for i in range(size.alerts):
            site = sites[i % len(sites)]
            plan.flagged.append(Person(f"pf-{i}", site, number(SITES[site][0], 8000 + i)))
        for j, site in enumerate(sites):
            plan.clinicians[site] = {
                role: Person(f"c-{site}-{role}", site, number(SITES[site][0], 9000 + 3 * j + k))
                for k, role in enumerate(("primary", "backup", "director"))
            }
        return plan

    # ------------------------------------------------------------------ times

    def booked_at(self, i: int) -> float:
        """Seconds after start at which the i-th appointment is booked (spread over the window,
        as a clinic's bookings trickle in)."""
        return self.size.window * i / max(1, self.size.appointments)

    @property
    def service_start(self) -> datetime:
        """Adherence's service time at `start` (tomorrow, 07:50 in Chicago)."""
        day = self.start.astimezone(CHICAGO).date() + timedelta(days=1)
        first = datetime.combine(day, datetime.min.time(), CHICAGO) + timedelta(hours=8)
        return first - timedelta(minutes=DOSE_LEAD_MINUTES)

    @property
    def dose_day(self) -> date:
        return self.service_start.date()

    def dose_time(self, i: int) -> str:
        """Dose times from 08:00 on, spread over the window (in service minutes)."""
        minutes = int(self.size.window * DOSE_SCALE / 60 * i / max(1, self.size.doses))
        return f"{8 + minutes // 60:02d}:{minutes % 60:02d}"

    def dose_id(self, i: int) -> str:
        return f"plan-{self.doses[i].id}:{self.dose_day.isoformat()}:{self.dose_time(i)}"

    def alert_at(self, i: int) -> float:
        """Seconds after start at which the i-th flagged patient's screener arrives."""
        return 5 + self.size.window * i / max(1, self.size.alerts)

    def adherence_env(self) -> dict[str, str]:
        return {
            "MTM_ADHERENCE__SIM__SCALE": str(DOSE_SCALE),
            "MTM_ADHERENCE__SIM__START": self.service_start.astimezone(UTC).isoformat(),
            "MTM_ADHERENCE__SIM__ANCHOR": self.start.isoformat(),
        }

    # ------------------------------------------------------------------ events

    def setup_events(self) -> list[Event]:
        """Enrolments, clinicians and rosters: before anything is asked of the system."""
        out: list[Event] = []
        for p, consents in (
            *((p, ["appointments"]) for p in self.appointments),
            *((p, ["medications"]) for p in self.doses),
            *((p, ["checkins"]) for p in self.flagged),
        ):
            out.append(
                ev.PatientEnrolled(
                    patient_id=p.id,
                    site_id=p.site,
                    phone=p.phone,
                    zone=p.zone,
                    quiet_start="00:00",
                    quiet_end="00:00",  # allowed all day: quiet hours never defer a text here
                    consents=consents,  # type: ignore[arg-type]
                    source="faults",
                )
            )
        for site, team in self.clinicians.items():
            for c in team.values():
                out.append(
                    ev.ClinicianRegistered(
                        clinician_id=c.id,
                        phone=c.phone,
                        display_name="On Call",
                        sites=[site],
                        source="faults",
                    )
                )
            out.append(roster(site, team))
        return out

    def booking(self, i: int) -> Event:
        """The i-th appointment, booked now for the same time tomorrow."""
        p = self.appointments[i]
        now = datetime.now(UTC)
        return ev.AppointmentBooked(
            patient_id=p.id,
            site_id=p.site,
            appointment_id=f"ap-{p.id}",
            start=now + DAY,
            occurred_at=now,
            source="faults",
        )

    def medication_plans(self) -> list[Event]:
        return [
            ev.MedicationPlanStarted(
                patient_id=p.id,
                plan_id=f"plan-{p.id}",
                drug="sertraline",
                drug_class="ssri",
                dose_times=[self.dose_time(i)],
                zone="America/Chicago",
                start_date=self.dose_day,
                occurred_at=self.service_start,
                site_id=p.site,
                source="faults",
            )
            for i, p in enumerate(self.doses)
        ]

    def screener(self, i: int) -> Event:
        p = self.flagged[i]
        answers = {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}
        return ev.QuestionnaireCompleted(
            patient_id=p.id,
            site_id=p.site,
            response_id=f"qr-{p.id}",
            instrument="C-SSRS",
            answers=[{"item": k, "value": v} for k, v in answers.items()],  # type: ignore[misc]
            source="faults",
        )

    # ------------------------------------------------------------------ expectations

    def mandatory(self) -> set[tuple[str, ...]]:
        """Every SMS that must arrive exactly once whatever the timing (alerts' pages are
        added from the alerts actually raised, see count.py)."""
        keys: set[tuple[str, ...]] = set()
        for p in self.appointments:
            for step in ("booked", "r1", "r2"):
                keys.add(("appointment", f"ap-{p.id}", step))
        for i in range(self.size.doses):
            keys.add(("dose", self.dose_id(i), "reminder"))
            if not self.replies_to(i):
                keys.add(("dose", self.dose_id(i), "followup"))
        for p in self.flagged:
            keys.add(("crisis", p.id))
        return keys

    def replies_to(self, i: int) -> bool:
        """Whether the i-th dose patient answers "1" (the first `replied` of them do)."""
        return i < self.size.replied

    def phone_owner(self) -> dict[str, Person]:
        people = [*self.appointments, *self.doses, *self.flagged]
        people += [c for team in self.clinicians.values() for c in team.values()]
        return {p.phone: p for p in people}


def roster(site: str, team: dict[str, Person]) -> ev.RosterPublished:
    """12-hour shifts from yesterday to ten days ahead in the site's zone: always someone."""
    zone = SITES[site][1]
    today = datetime.now(ZoneInfo(zone)).replace(
        tzinfo=None, hour=0, minute=0, second=0, microsecond=0
    )
    first = today - timedelta(days=1)
    shifts = [
        {
            "start_local": f"{first + timedelta(hours=12 * i):%Y-%m-%dT%H:%M}",
            "end_local": f"{first + timedelta(hours=12 * (i + 1)):%Y-%m-%dT%H:%M}",
            "primary_id": team["primary"].id,
            "backup_id": team["backup"].id,
        }
        for i in range(22)
    ]
    return ev.RosterPublished(
        site_id=site,
        roster_id=f"r-{site}",
        zone=zone,
        shifts=shifts,  # type: ignore[arg-type]
        director_id=team["director"].id,
        source="faults",
    )


def topic_of(event: Event) -> str:
    if isinstance(event, ev.NotificationRequested) and event.priority == "urgent":
        return "mtm.notify.urgent"
    return topic_for(event)


class Publisher:
    """The clinic systems: JSON events on Kafka, keyed like the project's own bus. A publish
    during a Kafka outage waits for the broker, as a buffering producer would."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.prefix = prefix
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5
        )

    async def __aenter__(self) -> Publisher:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def publish(self, events: Iterable[Event]) -> None:
        futures = [
            await self.producer.send(
                self.prefix + topic_of(e), e.model_dump_json().encode(), key=e.kafka_key()
            )
            for e in events
        ]
        await self.producer.flush()
        for f in futures:
            await f


PAGE = re.compile(r"URGENT P0 alert, code (\d{3,8})\.")


@dataclass
class Phones:
    """The people's side: they read what the fake Twilio delivered and reply through the gateway
    (signed like Twilio). A reply the gateway refuses (503, or down) is posted again, as Twilio
    does with its retry connection override."""

    stack: Stack
    plan: Plan
    replies: dict[str, str] = field(default_factory=dict)
    """MessageSid of each reply that the gateway accepted -> what it answered (dose id or code)."""
    acked_codes: list[str] = field(default_factory=list)
    seen_codes: set[str] = field(default_factory=set)
    refused: int = 0
    _answered: set[str] = field(default_factory=set)
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        owners = self.plan.phone_owner()
        dose_index = {p.phone: i for i, p in enumerate(self.plan.doses)}
        pending: set[asyncio.Task[None]] = set()
        while not self._stopped.is_set():
            try:
                messages = await self.stack.messages()
            except httpx.HTTPError:
                messages = []
            for m in messages:
                to, body = m["to"], m["body"]
                if to in dose_index and "time for your" in body and to not in self._answered:
                    self._answered.add(to)
                    i = dose_index[to]
                    if self.plan.replies_to(i):
                        reply = self._reply(owners[to], "1", self.plan.dose_id(i))
                        pending.add(asyncio.create_task(reply))
                page = PAGE.search(body)
                if page and page.group(1) not in self.seen_codes:
                    code = page.group(1)
                    self.seen_codes.add(code)
                    if len(self.acked_codes) < self.plan.size.acked:
                        self.acked_codes.append(code)
                        reply = self._reply(owners[to], f"ACK {code}", code)
                        pending.add(asyncio.create_task(reply))
            pending = {t for t in pending if not t.done()}
            try:
                await asyncio.wait_for(self._stopped.wait(), timeout=0.5)
            except TimeoutError:
                pass
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        self._stopped.set()

    async def _reply(self, person: Person, body: str, about: str) -> None:
        sid = "SM" + uuid.uuid4().hex
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": DEFAULT_ACCOUNT_SID,
            "From": person.phone,
            "To": person.clinic_number,
            "Body": body,
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        url = self.stack.gateway_url + "/twilio/sms"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params),
        }
        deadline = time.monotonic() + 180
        async with httpx.AsyncClient(timeout=20) as client:
            while time.monotonic() < deadline:
                try:
                    response = await client.post(url, content=urlencode(params), headers=headers)
                    if response.status_code == 200:
                        self.replies[sid] = about
                        return
                except httpx.HTTPError:
                    pass
                self.refused += 1
                await asyncio.sleep(1)
        raise AssertionError(f"the gateway never took the reply {sid}")


def describe(size: Size) -> str:
    return json.dumps(
        {
            "appointments": size.appointments,
            "doses": size.doses,
            "replied": size.replied,
            "alerts": size.alerts,
            "acked": size.acked,
            "window_s": size.window,
        }
    )
