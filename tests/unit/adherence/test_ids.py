"""The ids adherence derives never change: a re-published prompt, DoseMissed or alert must
carry the id it had before any deploy (the literals were computed before ids moved to IdSpace)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.adherence import messages
from services.adherence.rules.alerts import Finding
from services.adherence.rules.model import Dose, Plan
from services.adherence.rules.schedule import plan_doses
from tests.unit.adherence.support import POLICY, plan


def _dose() -> tuple[Plan, Dose]:
    p = plan(site_id="site-1")
    [dose] = plan_doses(p, date(2026, 4, 6), date(2026, 4, 6), POLICY)
    assert dose.dose_id == "plan-1:2026-04-06:08:00"
    return p, dose


def test_prompt_and_caregiver_ids() -> None:
    p, dose = _dose()
    prompt = messages.dose_prompt(dose, p, "reminder")
    assert prompt.event_id == UUID("cec41589-687d-543b-8340-938d91323a40")
    assert prompt.notification_id == UUID("31a0d2aa-91bb-503d-a499-5706a5cd0d3a")
    assert prompt.source == "adherence"
    notice = messages.caregiver_notice(dose, p, "cg-1")
    assert notice.event_id == UUID("c5a810a5-6460-581f-91d5-c4738f1c3ca1")
    assert notice.notification_id == UUID("78a3cd76-dd19-5fd0-9a9c-bc0744903f1d")


def test_missed_and_alert_ids() -> None:
    p, dose = _dose()
    missed = messages.dose_missed(dose, p, "no_reply")
    assert missed.event_id == UUID("b1e58e0f-b85e-5489-8102-39effc58c303")
    finding = Finding("ADH-LITHIUM", "P1", "call", None, ())
    alert = messages.alert(
        finding, patient_id="p-1", site_id="site-1", scope="plan:plan-1", episode="2026-04-06"
    )
    assert alert.event_id == UUID("79d13f64-f026-5cba-9927-a4f840b61a52")
    assert alert.alert_id == "4c9b08d6-acf5-51e8-b435-10d66bc33a7e"


def test_id_space_joins_parts_with_colons() -> None:
    key = "dose:plan-1:2026-04-06:08:00:reminder"
    assert messages.IDS.id(key) == UUID("31a0d2aa-91bb-503d-a499-5706a5cd0d3a")
    assert messages.IDS.id("event", key) == UUID("cec41589-687d-543b-8340-938d91323a40")
