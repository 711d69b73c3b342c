"""Inbound texts on the in-memory broker: keywords, replies bound to the sender, crisis language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.events import (
    AlertAcknowledged,
    AlertResolved,
    AppointmentChangeRequested,
    AppointmentConfirmed,
    ClinicalAlertRaised,
    ClinicianRegistered,
    ConsentChanged,
    DoseSkipped,
    DoseTaken,
    NotificationSent,
    NotificationSuppressed,
    OperationalWarning,
    PatientContactChanged,
)
from tests.unit.dispatcher.conftest import OTHER_PHONE, PHONE, Harness, request

OPT_OUTS = ["STOP", "stop", "Stop please", "REVOKE", "OPT OUT", "no more texts"]


@pytest.mark.parametrize("text", OPT_OUTS)
async def test_each_opt_out_revokes_consent_and_confirms_once(harness: Harness, text: str) -> None:
    await harness.enroll()
    inbound = await harness.text(text)
    [consent] = harness.events(ConsentChanged)
    assert (consent.patient_id, consent.status, consent.scope, consent.channel) == (
        "p-1",
        "revoked",
        "all",
        "sms_keyword",
    )
    assert consent.evidence == inbound.message_sid
    [confirmation] = harness.sms.bodies(PHONE)
    assert "unsubscribed" in confirmation and "START" in confirmation
    await harness.publish(inbound)  # the same STOP redelivered
    await harness.text("STOP")  # and a second STOP
    assert len(harness.sms.sent) == 1
    await harness.publish(request())
    assert len(harness.sms.sent) == 1
    assert harness.events(NotificationSuppressed)[-1].reason == "opted_out"


async def test_start_resubscribes(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("STOP")
    await harness.text("START")
    assert [e.status for e in harness.events(ConsentChanged)] == ["revoked", "granted"]
    assert "again" in harness.sms.bodies()[-1]
    await harness.publish(request())
    assert "medicine" in harness.sms.bodies()[-1]


async def test_help_answers_with_the_sites_phone(harness: Harness) -> None:
    await harness.enroll(site_id="el-paso", zone="America/Denver")
    await harness.text("HELP", to_phone="+19155550100")
    [body] = harness.sms.bodies()
    assert body.startswith("Franklin Health reminders") and "915-555-0100" in body
    assert harness.sms.sent[0]["from"] == "+19155550100"


async def test_help_from_an_unknown_number_is_answered(harness: Harness) -> None:
    await harness.text("help", from_phone="+15125550111")
    [sms] = harness.sms.sent
    assert sms["to"] == "+15125550111" and "Northside Clinic reminders" in sms["body"]


async def test_1_after_a_dose_reminder_is_that_patients_dose_taken(harness: Harness) -> None:
    await harness.enroll("p-1")
    await harness.enroll("p-2", phone=OTHER_PHONE)
    await harness.publish(request())
    await harness.text("1", from_phone=OTHER_PHONE)  # p-2 was not asked anything
    assert harness.events(DoseTaken) == []
    reply = await harness.text("1")
    [taken] = harness.events(DoseTaken)
    assert (taken.patient_id, taken.plan_id, taken.dose_id) == (
        "p-1",
        "plan-1",
        "plan-1:2026-03-10:08:00",
    )
    assert taken.message_sid == reply.message_sid


async def test_2_after_a_dose_reminder_is_dose_skipped(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await harness.text("N")
    assert [e.patient_id for e in harness.events(DoseSkipped)] == ["p-1"]


async def test_reply_binds_to_the_most_recent_prompt(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    harness.clock.advance(60)
    await harness.publish(
        request(
            category="appointment_booked",
            template_id="appointment_booked",
            variables={"start": "2026-03-12T18:00:00Z"},
            reply_context={"kind": "appointment", "ref": "ap-9"},
        )
    )
    await harness.text("1")
    assert harness.events(DoseTaken) == []
    assert [e.appointment_id for e in harness.events(AppointmentConfirmed)] == ["ap-9"]
    await harness.text("3")
    [change] = harness.events(AppointmentChangeRequested)
    assert (change.request, change.appointment_id) == ("cancel", "ap-9")


async def test_cancel_after_a_visit_text_opts_out_and_asks_the_clinic_about_the_visit(
    harness: Harness,
) -> None:
    await harness.enroll()
    await harness.publish(request(reply_context={"kind": "appointment", "ref": "ap-9"}))
    await harness.text("CANCEL")
    # CANCEL stays the CTIA opt-out; the patient may have meant the visit, so the clinic hears.
    assert [e.status for e in harness.events(ConsentChanged)] == ["revoked"]
    [change] = harness.events(AppointmentChangeRequested)
    assert (change.appointment_id, change.request) == ("ap-9", "cancel")
    assert "About your visit, call us" in harness.sms.bodies(PHONE)[-1]


async def test_cancel_after_a_dose_text_is_an_opt_out_only(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await harness.text("Cancel please")
    assert harness.events(AppointmentChangeRequested) == []
    assert [e.status for e in harness.events(ConsentChanged)] == ["revoked"]
    assert "About your visit" not in harness.sms.bodies(PHONE)[-1]


async def test_replies_expire_after_72_hours(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    harness.clock.advance(timedelta(hours=73))
    await harness.text("1")
    assert harness.events(DoseTaken) == []


async def test_a_reply_from_a_number_the_patient_left_changes_nothing(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await harness.publish(PatientContactChanged(patient_id="p-1", phone=OTHER_PHONE))
    await harness.text("1", from_phone=PHONE)
    assert harness.events(DoseTaken) == []


async def page(harness: Harness, clinician: str, phone: str, code: str) -> None:
    await harness.publish(
        ClinicianRegistered(
            clinician_id=clinician, phone=phone, display_name="Dr. X", sites=["austin"]
        )
    )
    await harness.publish(
        request(
            priority="urgent",
            recipient={"kind": "clinician", "id": clinician},
            category="clinician_page",
            template_id="clinician_page",
            patient_id="p-1",
            variables={"code": code, "severity": "P0"},
            patient_chosen_time=False,
            reply_context={"kind": "page", "ref": code, "extra": {"alert_id": "al-1"}},
        )
    )


async def test_ack_from_the_paged_clinician(harness: Harness) -> None:
    await page(harness, "c-1", "+15125550188", "4821")
    await harness.text("ACK 4821", from_phone="+15125550188")
    [ack] = harness.events(AlertAcknowledged)
    assert (ack.code, ack.clinician_id, ack.alert_id, ack.patient_id) == (
        "4821",
        "c-1",
        "al-1",
        "p-1",
    )
    await harness.text("resolve 4821", from_phone="+15125550188")
    assert [e.clinician_id for e in harness.events(AlertResolved)] == ["c-1"]


async def test_ack_from_anyone_else_changes_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await page(harness, "c-1", "+15125550188", "4821")
    await page(harness, "c-2", "+15125550189", "7777")
    await harness.text("ACK 4821", from_phone="+15125550189")  # c-2 was paged, but not 4821
    await harness.enroll()
    await harness.text("ACK 4821", from_phone=PHONE)  # a patient
    assert harness.events(AlertAcknowledged) == []
    assert any(r.name == "mtm.security" for r in caplog.records)
    assert all("+1512" not in r.getMessage() for r in caplog.records)


def alerts(h: Harness) -> list[Any]:
    return h.events(ClinicalAlertRaised)


async def test_crisis_language_raises_p0_and_sends_crisis_resources(harness: Harness) -> None:
    await harness.enroll()
    inbound = await harness.text("I want to die")
    [alert] = alerts(harness)
    assert (alert.patient_id, alert.severity, alert.rule_id) == ("p-1", "P0", "SE-ANY-EMERGENCY")
    assert alert.evidence[0].ref == inbound.message_sid
    assert "die" not in alert.model_dump_json()  # the text itself never travels
    [body] = harness.sms.bodies()
    assert "988" in body and "911" in body


async def test_stop_with_crisis_language_opts_out_and_still_alerts(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("STOP I want to die")
    assert len(alerts(harness)) == 1
    assert [e.status for e in harness.events(ConsentChanged)] == ["revoked"]
    bodies = harness.sms.bodies()
    assert len(bodies) == 1 and "unsubscribed" in bodies[0] and "988" in bodies[0]
    assert [e.reason for e in harness.events(NotificationSuppressed)] == ["opted_out"]


@pytest.mark.parametrize("settings", [{"crisis_text_to_opted_out": True}], indirect=True)
async def test_crisis_text_to_an_opted_out_number_when_configured(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("STOP I want to die")
    assert len(harness.sms.bodies()) == 2
    assert any("call or text 988 now" in b for b in harness.sms.bodies())


async def test_crisis_from_an_unknown_number_still_alerts(harness: Harness) -> None:
    await harness.text("took all my pills", from_phone="+15125550112")
    [alert] = alerts(harness)
    assert alert.patient_id.startswith("anon-")
    assert "988" in harness.sms.bodies("+15125550112")[0]


async def test_repeated_crisis_texts_alert_each_time_but_text_once(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("chest pain")
    await harness.text("chest pain still")
    assert len(alerts(harness)) == 2
    assert len(harness.sms.bodies()) == 1
    assert len(harness.events(NotificationSent)) == 1


async def test_a_clinician_text_is_not_screened_as_a_patient_crisis(harness: Harness) -> None:
    await page(harness, "c-1", "+15125550188", "4821")
    await harness.text("ACK 4821 overdose confirmed, EMS called", from_phone="+15125550188")
    assert alerts(harness) == []


async def test_start_when_never_opted_out_announces_nothing(harness: Harness) -> None:
    await harness.enroll()
    inbound = await harness.text("START")
    await harness.publish(inbound)
    assert harness.events(ConsentChanged) == []
    assert len(harness.sms.bodies()) == 1  # the confirmation, once


async def test_help_storm_from_an_auto_responder_is_answered_once(harness: Harness) -> None:
    await harness.enroll()
    for _ in range(5):
        await harness.text("HELP")
    assert len(harness.sms.bodies()) == 1
    harness.clock.advance(timedelta(minutes=16))
    await harness.text("HELP")
    assert len(harness.sms.bodies()) == 2


@pytest.mark.parametrize("text", ["STOP", "END", "Cancel", "stop texting me", "Stopp"])
async def test_a_clinicians_stop_changes_no_consent_answers_and_warns_the_site_lead(
    harness: Harness, text: str
) -> None:
    clinician_phone = "+15125550188"
    await harness.publish(
        ClinicianRegistered(
            clinician_id="c-1", phone=clinician_phone, display_name="Dr. X", sites=["austin"]
        )
    )
    await harness.text(text, from_phone=clinician_phone)
    assert harness.events(ConsentChanged) == []
    [reply] = harness.sms.bodies(clinician_phone)
    assert "cannot be stopped by text" in reply
    [warning] = harness.events(OperationalWarning)
    assert (warning.warning, warning.clinician_id, warning.site_id) == (
        "clinician_stop_request",
        "c-1",
        "austin",
    )
    # The next page still reaches them.
    await page(harness, "c-1", clinician_phone, "4821")
    assert "URGENT" in harness.sms.bodies(clinician_phone)[-1]


async def test_an_unsure_opt_out_is_asked_once_a_day(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("I want to quit")
    await harness.text("I want to quit")
    assert harness.events(ConsentChanged) == []
    [question] = harness.sms.bodies(PHONE)
    assert "Reply STOP to stop them" in question
    await harness.text("STOP")
    assert [e.status for e in harness.events(ConsentChanged)] == ["revoked"]


async def test_a_text_nobody_could_read_reaches_the_work_queue(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await harness.text("my cat ate the pills, can I get more?")
    await harness.text("hello??")
    unread = [e for e in harness.events(ClinicalAlertRaised) if e.rule_id == "SMS-REPLY-UNREAD"]
    assert [(e.patient_id, e.severity) for e in unread] == [("p-1", "P3"), ("p-1", "P3")]
    assert len({e.dedup_key for e in unread}) == 1  # one work item a day, the second counted in
    assert all("cat" not in e.model_dump_json() for e in unread)


async def test_ambiguous_risk_language_is_a_p1_with_the_crisis_text(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("i dont see the point of anything anymore")
    [alert] = harness.events(ClinicalAlertRaised)
    assert (alert.rule_id, alert.severity) == ("SE-ANY-EMERGENCY", "P1")
    assert "988" in harness.sms.bodies(PHONE)[-1]


async def test_i_want_to_cancel_after_a_visit_text_is_asked_about_and_the_clinic_hears(
    harness: Harness,
) -> None:
    await harness.enroll()
    await harness.publish(request(reply_context={"kind": "appointment", "ref": "ap-9"}))
    await harness.text("I want to cancel")
    assert harness.events(ConsentChanged) == []
    assert [e.appointment_id for e in harness.events(AppointmentChangeRequested)] == ["ap-9"]
    assert "Reply STOP to stop them" in harness.sms.bodies(PHONE)[-1]
