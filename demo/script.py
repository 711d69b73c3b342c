"""The scripted days: who does what, and when (in the local time of whoever does it).

Everything else in the output is the services' own doing on their production settings:
reminders, follow-ups, cut-offs, refill prompts, quiet hours, alerts, pages, the ladder. Monday
is there because a missed-dose pattern needs two days to show; Tuesday is the clinic day.

Ana's weekly check-in is the symptoms service's SMS check-in (issue 9): the clinic sets the plan
on Monday; on Tuesday at 16:00 the questions come one by one and she answers each a minute
later. Her PHQ-2 opens the PHQ-9, and her answer to item 9 is what pages the on-call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from demo.cast import (
    ANA,
    AUSTIN,
    DALE,
    EL_PASO,
    GARZA,
    KIM,
    LUIS,
    NGUYEN,
    OKAFOR,
    ORTIZ,
    PATEL,
    PATIENTS,
    REYES,
    SAM,
    SEATTLE,
    Appointment,
    Plan,
    Roster,
)
from demo.steps import (
    Ack,
    Book,
    Directory,
    Enrol,
    Fill,
    PlanCheckIn,
    Resolve,
    StartPlan,
    Step,
    Text,
)

MONDAY = date(2026, 3, 9)
TUESDAY = date(2026, 3, 10)
START = AUSTIN.at(MONDAY, "06:00")
END = SEATTLE.at(TUESDAY, "23:59")

SERTRALINE = Plan("plan-ana-1", "sertraline", "ssri", ("08:00",), TUESDAY)
CLOZAPINE = Plan("plan-luis-1", "clozapine", "antipsychotic", ("21:00",), date(2025, 11, 3))
LITHIUM = Plan("plan-dale-1", "lithium", "lithium", ("08:00",), MONDAY)

DALE_VISIT = Appointment(
    "ap-3001",
    SEATTLE.at(TUESDAY, "11:00"),
    "telehealth",
    join_url="https://visit.example.org/j/ap-3001",
)
ANA_VISIT = Appointment("ap-3002", AUSTIN.at(date(2026, 3, 11), "14:30"), "in_person")
LUIS_VISIT = Appointment("ap-3003", EL_PASO.at(date(2026, 3, 12), "10:00"), "in_person")
SAM_VISIT = Appointment("ap-3004", SEATTLE.at(date(2026, 3, 11), "15:00"), "in_person")

ANSWERS = (2, 2, 2, 1, 1, 1, 2, 1, 1)
"""Ana's check-in: PHQ-2 items 1-2 (total 4 opens the PHQ-9), then PHQ-9 items 3-9."""

SUNDAY = MONDAY - timedelta(days=1)
ROSTERS = (
    Roster(AUSTIN, day=(PATEL, KIM), night=(PATEL, KIM), director=REYES, first=SUNDAY),
    Roster(EL_PASO, day=(GARZA, ORTIZ), night=(GARZA, ORTIZ), director=REYES, first=SUNDAY),
    Roster(SEATTLE, day=(NGUYEN, OKAFOR), night=(OKAFOR, NGUYEN), director=REYES, first=SUNDAY),
)


def script() -> list[tuple[datetime, Step]]:
    """The two days: (instant, step), in order of time (steps at one instant as listed)."""
    mon, tue = MONDAY, TUESDAY
    steps: list[tuple[datetime, Step]] = [
        (AUSTIN.at(mon, "06:00"), Directory(ROSTERS)),
        *((AUSTIN.at(mon, "06:00"), Enrol(p)) for p in PATIENTS),
        (AUSTIN.at(mon, "06:00"), StartPlan(ANA, SERTRALINE)),
        (AUSTIN.at(mon, "06:00"), StartPlan(LUIS, CLOZAPINE)),
        (AUSTIN.at(mon, "06:00"), Fill(LUIS, CLOZAPINE, date(2026, 2, 13), 30)),
        (AUSTIN.at(mon, "06:00"), StartPlan(DALE, LITHIUM)),
        (AUSTIN.at(mon, "06:00"), PlanCheckIn(ANA, "PHQ-2", 1, "16:00", MONDAY)),
        # Monday. Dale never answers his lithium reminders; Luis takes his clozapine.
        (SEATTLE.at(mon, "12:00"), Book(DALE, DALE_VISIT)),
        (AUSTIN.at(mon, "15:00"), Book(ANA, ANA_VISIT)),
        (EL_PASO.at(mon, "21:04"), Text(LUIS, "1")),
        # Tuesday. Luis's visit is booked before 8 in El Paso; Sam asks for HELP, then STOPs;
        # Ana's answers put her item 9 positive; nobody answers the first page.
        (EL_PASO.at(tue, "07:40"), Book(LUIS, LUIS_VISIT)),
        (AUSTIN.at(tue, "08:06"), Text(ANA, "1")),
        (SEATTLE.at(tue, "09:00"), Book(SAM, SAM_VISIT)),
        (SEATTLE.at(tue, "09:04"), Text(SAM, "HELP")),
        (SEATTLE.at(tue, "09:06"), Text(SAM, "STOP")),
        (AUSTIN.at(tue, "14:41"), Text(ANA, "1")),
        # Ana's weekly check-in opens at 16:00; she answers each question a minute later.
        *((AUSTIN.at(tue, f"16:{n:02d}"), Text(ANA, str(v))) for n, v in enumerate(ANSWERS, 1)),
        (AUSTIN.at(tue, "17:11"), Ack(KIM)),
        (AUSTIN.at(tue, "17:32"), Resolve(KIM)),
        (SEATTLE.at(tue, "20:04"), Ack(OKAFOR)),
        (SEATTLE.at(tue, "20:25"), Resolve(OKAFOR)),
        (EL_PASO.at(tue, "21:03"), Text(LUIS, "1")),
    ]
    return sorted(((at.astimezone(UTC), step) for at, step in steps), key=lambda s: s[0])
