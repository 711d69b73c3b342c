"""Side effects, medications, doses and no-shows through the handlers (TestKafkaBroker)."""

from __future__ import annotations

from datetime import date, timedelta

from shared import events as ev
from shared.testing.factories import sample
from tests.unit.symptoms.handler_support import (
    PATIENT,
    Harness,
    missed_dose,
    phq9,
    plan,
    side_effects,
)
from tests.unit.symptoms.support import NOW


async def test_rash_in_week_three_on_lamotrigine(harness: Harness) -> None:
    await harness.send(plan("lamotrigine", "anticonvulsant", days_on=18))
    await harness.send(side_effects("rash_new"))
    assert harness.rules() == [("SE-LTG-RASH", "P1")]
    assert harness.urgent == []


async def test_the_same_rash_without_lamotrigine(harness: Harness) -> None:
    await harness.send(plan("sertraline", "ssri", days_on=18))
    await harness.send(side_effects("rash_new"))
    assert harness.rules() == [("SE-OTHER", "P3")]


async def test_noshow_after_an_item9_alert(harness: Harness) -> None:
    await harness.send(phq9([0, 0, 0, 0, 0, 0, 0, 0, 1], occurred_at=NOW - timedelta(days=5)))
    await harness.send(
        sample(ev.AppointmentNoShow, patient_id=PATIENT, appointment_id="ap-9", occurred_at=NOW)
    )
    assert harness.rules() == [("SYM-PHQ9-ITEM9", "P1"), ("APPT-NOSHOW-RISK", "P1")]


async def test_noshow_after_another_services_p0_alert(harness: Harness) -> None:
    await harness.send(
        sample(
            ev.ClinicalAlertRaised,
            patient_id=PATIENT,
            alert_id="al-x",
            severity="P0",
            rule_id="SE-ANY-EMERGENCY",
            source="dispatcher",
            dedup_key="x",
            occurred_at=NOW - timedelta(days=2),
        )
    )
    await harness.send(
        sample(ev.AppointmentNoShow, patient_id=PATIENT, appointment_id="ap-1", occurred_at=NOW)
    )
    assert ("APPT-NOSHOW-RISK", "P1") in harness.rules()


async def test_a_noshow_without_risk_raises_nothing(harness: Harness) -> None:
    await harness.send(sample(ev.AppointmentNoShow, patient_id=PATIENT, occurred_at=NOW))
    assert harness.alerts == []


async def test_missed_doses_then_discontinuation_symptoms(harness: Harness) -> None:
    await harness.send(plan("paroxetine", "ssri", days_on=90))
    await harness.send(missed_dose(2))
    await harness.send(missed_dose(1))
    await harness.send(side_effects("brain_zaps", "dizziness"))
    assert harness.rules() == [("SE-SSRI-DISC", "P2"), ("SYM-ADH-CROSS", "P2")]
    cross = harness.alerts[1]
    assert {e.kind for e in cross.evidence} >= {"dose", "side_effect"}


async def test_symptom_first_then_missed_doses_raise_one_cross_alert(harness: Harness) -> None:
    await harness.send(plan("sertraline", "ssri", days_on=200))
    await harness.send(side_effects("insomnia"))
    await harness.send(missed_dose(1))
    assert ("SYM-ADH-CROSS", "P2") not in harness.rules()
    dose = missed_dose(0)
    await harness.send(dose)
    await harness.send(dose)  # redelivered
    await harness.send(missed_dose(0))  # the same dose under a new event id
    await harness.send(missed_dose(-1))  # a later miss re-checks: the alert is already out
    assert harness.rules().count(("SYM-ADH-CROSS", "P2")) == 1


async def test_dose_change_and_age_drive_activation(harness: Harness) -> None:
    await harness.send(
        sample(ev.PatientEnrolled, patient_id=PATIENT, date_of_birth=date(NOW.year - 40, 1, 1))
    )
    await harness.send(plan("sertraline", "ssri", days_on=200))
    await harness.send(side_effects("agitation", report_id="se-a"))
    assert harness.rules() == [("SE-OTHER", "P3")]
    await harness.send(
        sample(
            ev.MedicationPlanChanged,
            patient_id=PATIENT,
            plan_id="plan-1",
            dose_changed=True,
            effective_date=NOW.date() - timedelta(days=5),
        )
    )
    await harness.send(side_effects("agitation", report_id="se-b"))
    assert harness.rules()[-1] == ("SE-ACTIVATION", "P2")


async def test_a_stopped_plan_is_withdrawal_context(harness: Harness) -> None:
    await harness.send(plan("lorazepam", "benzodiazepine", days_on=90))
    await harness.send(
        sample(
            ev.MedicationPlanStopped,
            patient_id=PATIENT,
            plan_id="plan-1",
            occurred_at=NOW - timedelta(days=2),
        )
    )
    await harness.send(side_effects("tremor"))
    assert harness.rules() == [("SE-BZD-WITHDRAWAL", "P1")]


async def test_every_key_is_under_the_namespace(harness: Harness) -> None:
    await harness.send(plan("lithium", "lithium", days_on=90))
    await harness.send(
        sample(
            ev.QuestionnaireItemAnswered,
            patient_id=PATIENT,
            session_id="s-2",
            instrument="C-SSRS",
            item="1",
            value=1,
            occurred_at=NOW,
        )
    )
    await harness.send(side_effects("vomiting"))
    keys = [k.decode() if isinstance(k, bytes) else k for k in await harness.redis.keys("*")]
    assert keys
    assert all(k.startswith(f"{harness.namespace}:symptoms:") for k in keys), keys
