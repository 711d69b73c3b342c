"""Consent, caps, expiry and number rules: one table each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.dispatcher.rules.caps import Caps, counts_against_cap, periods, within_caps
from services.dispatcher.rules.consent import ConsentFacts, apply_grant, check_consent
from services.dispatcher.rules.expiry import is_expired
from services.dispatcher.rules.numbers import textable

MEDS = frozenset({"medications"})
ALL = frozenset({"appointments", "medications", "checkins", "caregiver"})


def facts(
    kind: str = "patient",
    programs: frozenset[str] = ALL,
    *,
    out: bool = False,
    discharged: bool = False,
    pending: bool = False,
) -> ConsentFacts:
    return ConsentFacts(
        recipient_kind=kind,
        programs=programs,
        phone_opted_out=out,
        discharged=discharged,
        confirmation_pending=pending,
    )


@pytest.mark.parametrize(
    ("category", "state", "crisis_ok", "allowed"),
    [
        ("dose_reminder", facts(programs=MEDS), False, True),
        ("dose_reminder", facts(programs=frozenset({"appointments"})), False, False),
        ("appointment_reminder", facts(programs=MEDS), False, False),
        ("appointment_reminder", facts(), False, True),
        ("checkin_item", facts(programs=frozenset({"checkins"})), False, True),
        ("dose_reminder", facts(out=True), False, False),  # opted out: nothing
        ("appointment_booked", facts(out=True), False, False),
        ("opt_out_confirmation", facts(out=True, pending=True), False, True),  # the single one
        ("opt_out_confirmation", facts(out=True, pending=False), False, False),  # not a second
        ("opt_out_confirmation", facts(out=False), False, False),
        ("crisis_resources", facts(programs=frozenset()), False, True),  # emergency, no programme
        ("crisis_resources", facts(out=True), False, False),  # default: counsel has not said yes
        ("crisis_resources", facts(out=True), True, True),  # the configurable exception
        ("help", facts(out=True), False, True),  # HELP is always answered
        ("opt_in_confirmation", facts(programs=frozenset()), False, True),
        ("clinician_page", facts("clinician", frozenset()), False, True),
        ("clinician_page", facts("clinician", frozenset(), out=True), False, False),
        ("clinician_page", facts("patient"), False, False),
        ("caregiver_missed_dose", facts("caregiver", frozenset({"caregiver"})), False, True),
        ("caregiver_missed_dose", facts("caregiver", MEDS), False, False),
        ("dose_reminder", facts(discharged=True), False, False),
        ("crisis_resources", facts(discharged=True), False, True),
        ("clinic_callback", facts(programs=MEDS), False, True),
        ("clinic_callback", facts(programs=frozenset({"detailed_content"})), False, False),
    ],
)
def test_consent(category: str, state: ConsentFacts, crisis_ok: bool, allowed: bool) -> None:
    decision = check_consent(category, state, crisis_to_opted_out=crisis_ok)
    assert decision.allowed is allowed
    assert decision.reason == ("" if allowed else "opted_out")


@pytest.mark.parametrize(
    ("before", "status", "scope", "after"),
    [
        (frozenset(), "granted", "medications", MEDS),
        (ALL, "revoked", "medications", ALL - MEDS),
        (ALL | {"detailed_content"}, "revoked", "all", frozenset()),
        (frozenset(), "granted", "all", ALL),  # "all" never grants detailed content
        (MEDS, "granted", "detailed_content", MEDS | {"detailed_content"}),
    ],
)
def test_apply_grant(
    before: frozenset[str], status: str, scope: str, after: frozenset[str]
) -> None:
    assert apply_grant(before, status=status, scope=scope) == after


@pytest.mark.parametrize(
    ("category", "priority", "counted"),
    [
        ("dose_reminder", "routine", True),
        ("appointment_reminder", "routine", True),
        ("checkin_item", "routine", True),
        ("clinician_notice", "routine", True),
        ("clinician_page", "urgent", False),
        ("crisis_resources", "urgent", False),
        ("help", "urgent", False),
        ("opt_out_confirmation", "urgent", False),
        ("appointment_cancelled", "urgent", False),
    ],
)
def test_what_counts_against_caps(category: str, priority: str, counted: bool) -> None:
    assert counts_against_cap(category=category, priority=priority) is counted


CAPS = Caps(per_day=3, per_week=5)


@pytest.mark.parametrize(
    ("day", "week", "already", "ok"),
    [
        (0, 0, False, True),
        (2, 4, False, True),
        (3, 3, False, False),
        (1, 5, False, False),
        (3, 5, True, True),  # a redelivered, already counted text is not capped twice
    ],
)
def test_within_caps(day: int, week: int, already: bool, ok: bool) -> None:
    assert within_caps(day_count=day, week_count=week, already_counted=already, caps=CAPS) is ok


@given(day=st.integers(0, 50), week=st.integers(0, 50))
def test_caps_invariant(day: int, week: int) -> None:
    ok = within_caps(day_count=day, week_count=week, already_counted=False, caps=CAPS)
    assert ok == (day < CAPS.per_day and week < CAPS.per_week)


@pytest.mark.parametrize(
    ("instant", "zone", "day", "week"),
    [
        (datetime(2026, 3, 10, 3, 30, tzinfo=UTC), "America/Los_Angeles", "2026-03-09", "2026-W11"),
        (datetime(2026, 3, 10, 3, 30, tzinfo=UTC), "America/Chicago", "2026-03-09", "2026-W11"),
        (datetime(2026, 3, 9, 4, 0, tzinfo=UTC), "America/Chicago", "2026-03-08", "2026-W10"),
        (datetime(2027, 1, 1, 12, 0, tzinfo=UTC), "America/Chicago", "2027-01-01", "2026-W53"),
    ],
)
def test_cap_periods_are_local(instant: datetime, zone: str, day: str, week: str) -> None:
    assert periods(instant, zone) == (day, week)


NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expires_at", "at", "expired"),
    [
        (None, NOW, False),
        (NOW + timedelta(seconds=1), NOW, False),
        (NOW, NOW, True),
        (NOW - timedelta(hours=1), NOW, True),
    ],
)
def test_expiry(expires_at: datetime | None, at: datetime, expired: bool) -> None:
    assert is_expired(expires_at, at) is expired


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("+15125550143", True),
        ("+12065550100", True),
        ("5125550143", False),
        ("+1512555014", False),
        ("+15125550143 ", False),
        ("+442079460000", False),  # UK: not US
        ("+1 512 555 0143", False),
        ("", False),
        ("+10005550143", False),
    ],
)
def test_textable(phone: str, ok: bool) -> None:
    assert textable(phone, frozenset({"US"})) is ok
