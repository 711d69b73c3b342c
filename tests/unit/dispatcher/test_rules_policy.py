"""The combined send policy: which rule wins, and deferral instead of dropping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dispatcher.rules.caps import Caps
from services.dispatcher.rules.consent import ConsentFacts
from services.dispatcher.rules.policy import Ask, Counts, Decision, PolicyConfig, Target, decide
from services.dispatcher.rules.quiet_hours import Window

CONFIG = PolicyConfig(caps=Caps(per_day=2, per_week=5), allowed_regions=frozenset({"US"}))
NOON_CT = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 12:00 CDT
LATE_PT = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)  # 22:00 PDT, Seattle
OK = ConsentFacts(
    recipient_kind="patient",
    programs=frozenset({"appointments", "medications"}),
    phone_opted_out=False,
)
OUT = ConsentFacts(recipient_kind="patient", programs=OK.programs, phone_opted_out=True)


def target(
    zone: str = "America/Chicago",
    consent: ConsentFacts = OK,
    phone: str | None = "+15125550143",
    invalid: bool = False,
) -> Target:
    return Target(
        phone=phone,
        zone=zone,
        window=Window.parse("09:00", "20:00"),
        consent=consent,
        number_invalid=invalid,
    )


def ask(category: str = "appointment_reminder", *, now: datetime = NOON_CT, **kw: object) -> Ask:
    fields: dict[str, object] = {
        "category": category,
        "priority": "routine",
        "recipient_kind": "patient",
        "requested_at": now,
        **kw,
    }
    return Ask(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "t", "counts", "now", "expected"),
    [
        (ask(), target(), Counts(), NOON_CT, Decision("send")),
        (ask(), target(consent=OUT), Counts(), NOON_CT, Decision("suppress", "opted_out")),
        (ask(expires_at=NOON_CT), target(), Counts(), NOON_CT, Decision("suppress", "expired")),
        (ask(), target(invalid=True), Counts(), NOON_CT, Decision("suppress", "invalid_number")),
        (
            ask(),
            target(phone="+15125550"),
            Counts(),
            NOON_CT,
            Decision("suppress", "invalid_number"),
        ),
        (ask(), target(), Counts(day=2), NOON_CT, Decision("suppress", "cap_reached")),
        (ask(), target(), Counts(week=5), NOON_CT, Decision("suppress", "cap_reached")),
        (ask(), target(), Counts(day=2, week=5, already_counted=True), NOON_CT, Decision("send")),
        (
            ask("clinician_page", priority="urgent", recipient_kind="clinician"),
            target(consent=ConsentFacts("clinician", frozenset(), False)),
            Counts(day=99),
            NOON_CT,
            Decision("send"),
        ),
        # the acceptance case: 22:00 in Seattle -> 09:00 PDT next morning (16:00Z)
        (
            ask(now=LATE_PT),
            target("America/Los_Angeles"),
            Counts(),
            LATE_PT,
            Decision("defer", "quiet_hours_deferred", datetime(2026, 3, 11, 16, 0, tzinfo=UTC)),
        ),
        # deferred, but expiring before the window opens: suppressed, never sent late
        (
            ask(now=LATE_PT, expires_at=LATE_PT + timedelta(hours=2)),
            target("America/Los_Angeles"),
            Counts(),
            LATE_PT,
            Decision("suppress", "expired"),
        ),
        # a dose time the patient chose is exempt
        (
            ask("dose_reminder", now=LATE_PT, patient_chosen_time=True),
            target("America/Los_Angeles"),
            Counts(),
            LATE_PT,
            Decision("send"),
        ),
        # opted out wins over quiet hours (nothing is scheduled for an opted-out number)
        (
            ask(now=LATE_PT),
            target("America/Los_Angeles", consent=OUT),
            Counts(),
            LATE_PT,
            Decision("suppress", "opted_out"),
        ),
        # cap counts only matter when the message would go now
        (
            ask(now=LATE_PT),
            target("America/Los_Angeles"),
            Counts(day=9),
            LATE_PT,
            Decision("defer", "quiet_hours_deferred", datetime(2026, 3, 11, 16, 0, tzinfo=UTC)),
        ),
        (
            ask(not_before=NOON_CT + timedelta(hours=1)),
            target(),
            Counts(),
            NOON_CT,
            Decision("defer", "not_before", NOON_CT + timedelta(hours=1)),
        ),
        (
            ask(not_before=NOON_CT - timedelta(hours=1)),
            target(),
            Counts(),
            NOON_CT,
            Decision("send"),
        ),
        # unknown recipient: wait for the directory a little, then give up
        (
            ask(),
            target(phone=None),
            Counts(),
            NOON_CT,
            Decision("wait", "unknown_recipient", NOON_CT + timedelta(seconds=5)),
        ),
        (
            ask(),
            target(phone=None),
            Counts(),
            NOON_CT + timedelta(minutes=6),
            Decision("suppress", "unknown_recipient"),
        ),
    ],
)
def test_decide(a: Ask, t: Target, counts: Counts, now: datetime, expected: Decision) -> None:
    assert decide(a, t, counts, now, CONFIG) == expected
