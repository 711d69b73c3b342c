"""The send path on the in-memory broker: rules applied, exactly one SMS, the outcome published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.dispatcher.send import dispatch
from services.dispatcher.sender import Outbound
from shared.broker import TransientError
from shared.events import (
    CaregiverLinked,
    ClinicianRegistered,
    ConsentChanged,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
)
from tests.unit.dispatcher.conftest import NOON, PHONE, Harness, request


def suppressed(h: Harness) -> list[str]:
    return [e.reason for e in h.events(NotificationSuppressed)]


async def test_a_reminder_becomes_one_sms_in_the_patients_language(harness: Harness) -> None:
    await harness.enroll(language="es")
    req = request()
    await harness.publish(req)
    [sms] = harness.sms.sent
    assert sms["to"] == PHONE and sms["from"] == "+15125550100"
    assert sms["body"] == (
        "Northside Clinic: es hora de su medicina de las 8:00 AM. Responda 1 si "
        "la tomo, 2 si no. Responda STOP para no recibir mas."
    )
    [sent] = harness.events(NotificationSent)
    assert sent.message_sid == sms["sid"] and sent.patient_id == "p-1"


async def test_the_same_request_three_times_is_one_sms(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    for _ in range(3):
        await harness.publish(req)
    assert len(harness.sms.sent) == 1
    sent = harness.events(NotificationSent)
    assert len(sent) == 3 and len({e.event_id for e in sent}) == 1  # replays dedupe downstream


async def test_same_dedup_key_under_another_id_is_a_duplicate(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request(dedup_key="dose:plan-1:2026-03-10:08:00"))
    await harness.publish(request(dedup_key="dose:plan-1:2026-03-10:08:00"))
    assert len(harness.sms.sent) == 1
    assert suppressed(harness) == ["duplicate"]


async def test_a_redis_that_lost_its_scripts_still_sends_once(harness: Harness) -> None:
    """After a Redis restart the scripts are gone: the pipelined claim falls back to loading
    them, and the request is still one SMS (then a replay is still none)."""
    await harness.enroll()
    await harness.ctx.store.redis.script_flush()
    req = request()
    await harness.publish(req)
    await harness.ctx.store.redis.script_flush()
    await harness.publish(req)
    assert len(harness.sms.sent) == 1
    assert len(harness.events(NotificationSent)) == 2


async def test_a_send_twilio_refused_gives_its_business_key_back(harness: Harness) -> None:
    """A permanent refusal sent nothing: a new request for the same reminder may go out."""
    await harness.enroll()
    harness.sms.fail = [("before", 400, 21617)]  # body too long: permanent, nothing sent
    await harness.publish(request(dedup_key="dose:plan-1:2026-03-11:08:00"))
    assert harness.sms.sent == [] and len(harness.events(NotificationFailed)) == 1
    await harness.publish(request(dedup_key="dose:plan-1:2026-03-11:08:00"))
    assert len(harness.sms.sent) == 1 and suppressed(harness) == []


async def test_a_request_for_a_busy_notification_is_re_read_later(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    await harness.ctx.store.claim(str(req.notification_id), lease_seconds=60)
    with pytest.raises(TransientError):
        await dispatch.handle(harness.ctx, req, urgent=False)
    assert harness.sms.sent == []


async def test_a_crash_after_twilio_accepted_is_found_not_resent(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    store = harness.ctx.store
    body = (
        "Northside Clinic: time for your 8:00 AM medicine. Reply 1 if taken, 2 if not. "
        "Reply STOP to opt out, HELP for help."
    )
    # What a process killed right after Twilio answered leaves behind: an attempt, no record.
    message = Outbound(to=PHONE, body=body, from_number="+15125550100")
    await store.begin_attempt(str(req.notification_id), message, datetime.now(UTC))
    await harness.sms.send(message)
    await harness.publish(req)
    assert len(harness.sms.sent) == 1
    [sent] = harness.events(NotificationSent)
    assert sent.message_sid == harness.sms.sent[0]["sid"]
    assert await store.attempt(str(req.notification_id)) is None


async def test_a_crash_before_twilio_got_it_sends_once(harness: Harness) -> None:
    await harness.enroll()
    req = request()
    message = Outbound(to=PHONE, body="whatever was rendered", from_number="+15125550100")
    await harness.ctx.store.begin_attempt(str(req.notification_id), message, datetime.now(UTC))
    await harness.publish(req)
    assert len(harness.sms.sent) == 1 and harness.sms.lookups == 1


async def test_opted_out_patient_gets_nothing(harness: Harness) -> None:
    await harness.enroll()
    await harness.text("STOP")
    harness.sms.sent.clear()
    await harness.publish(request())
    assert harness.sms.sent == []
    assert "opted_out" in suppressed(harness)


async def test_no_consent_for_the_programme_is_suppressed(harness: Harness) -> None:
    await harness.enroll(consents=["appointments"])
    await harness.publish(request())
    assert harness.sms.sent == [] and suppressed(harness) == ["opted_out"]


async def test_seattle_22h_reminder_is_deferred_to_9am_pacific(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 3, 11, 5, 0, tzinfo=UTC))  # 22:00 PDT
    await harness.enroll(site_id="seattle", zone="America/Los_Angeles", phone="+12065550143")
    req = request(
        category="appointment_reminder",
        template_id="appointment_reminder",
        variables={"start": "2026-03-12T18:00:00Z"},
        patient_chosen_time=False,
        occurred_at=harness.clock.now(),
        reply_context={"kind": "appointment", "ref": "ap-7"},
    )
    await harness.publish(req)
    assert harness.sms.sent == []
    [deferred] = harness.events(NotificationSuppressed)
    assert deferred.reason == "quiet_hours_deferred"
    assert deferred.deferred_until == datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # 09:00 PDT
    harness.clock.set(datetime(2026, 3, 11, 15, 59, tzinfo=UTC))
    assert await harness.fire_timers() == 0
    harness.clock.set(datetime(2026, 3, 11, 16, 0, tzinfo=UTC))
    assert await harness.fire_timers() == 1
    [sms] = harness.sms.sent
    assert sms["from"] == "+12065550100" and sms["body"].startswith("Sound Health: reminder")
    assert "Thu 3/12 at 11:00 AM PT" in sms["body"]


async def test_an_opt_out_while_deferred_wins(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 3, 11, 5, 0, tzinfo=UTC))
    await harness.enroll(zone="America/Los_Angeles")
    await harness.publish(request(patient_chosen_time=False, occurred_at=harness.clock.now()))
    await harness.text("stop")
    harness.sms.sent.clear()
    harness.clock.set(datetime(2026, 3, 11, 16, 0, tzinfo=UTC))
    await harness.fire_timers()
    assert harness.sms.sent == []
    assert suppressed(harness)[-1] == "opted_out"


async def test_expired_reminder_is_suppressed(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request(expires_at=NOON - timedelta(minutes=1)))
    assert harness.sms.sent == [] and suppressed(harness) == ["expired"]


@pytest.mark.parametrize("settings", [{"cap_per_day": 2}], indirect=True)
async def test_daily_cap_for_routine_but_not_for_pages(harness: Harness) -> None:
    await harness.enroll()
    for _ in range(3):
        await harness.publish(
            request(
                category="appointment_booked",
                template_id="appointment_booked",
                variables={"start": "2026-03-12T18:00:00Z"},
            )
        )
    assert len(harness.sms.sent) == 2 and suppressed(harness) == ["cap_reached"]
    await harness.publish(
        request(
            priority="urgent",
            category="crisis_resources",
            template_id="crisis_resources",
            variables={},
        )
    )
    assert len(harness.sms.sent) == 3


async def test_a_429_storm_ends_in_one_sms(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail = [("before", 429, 20429)] * 4
    await harness.publish(request())
    assert len(harness.sms.sent) == 1 and len(harness.events(NotificationSent)) == 1
    assert harness.sms.lookups == 0  # a 429 is never ambiguous


@pytest.mark.parametrize("when", ["after", "before"])
async def test_a_500_ends_in_one_sms(harness: Harness, when: str) -> None:
    await harness.enroll()
    harness.sms.fail = [(when, 500, 20500)]
    await harness.publish(request())
    assert len(harness.sms.sent) == 1
    assert harness.sms.lookups == 1
    [sent] = harness.events(NotificationSent)
    assert sent.message_sid == harness.sms.sent[0]["sid"]


async def test_a_timeout_that_did_send_is_found(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail = [("after", None, None)]
    await harness.publish(request())
    assert len(harness.sms.sent) == 1 and len(harness.events(NotificationSent)) == 1


async def test_21610_flips_consent(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail_by_number[PHONE] = 21610
    await harness.publish(request())
    [failed] = harness.events(NotificationFailed)
    assert failed.error_code == 21610 and failed.permanent and failed.stage == "send"
    [consent] = harness.events(ConsentChanged)
    assert (consent.status, consent.channel, consent.patient_id) == ("revoked", "carrier", "p-1")
    del harness.sms.fail_by_number[PHONE]
    await harness.publish(request())
    assert harness.sms.sent == [] and suppressed(harness) == ["opted_out"]


async def test_21211_marks_the_number_invalid_until_it_changes(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail_by_number[PHONE] = 21211
    await harness.publish(request())
    assert harness.events(NotificationFailed)[0].error_code == 21211
    del harness.sms.fail_by_number[PHONE]
    await harness.publish(request())
    assert suppressed(harness) == ["invalid_number"]
    await harness.enroll(phone="+15125550199")
    await harness.publish(request())
    assert len(harness.sms.sent) == 1


async def test_unknown_recipient_waits_for_the_directory(harness: Harness) -> None:
    req = request()
    await harness.publish(req)
    assert harness.sms.sent == [] and harness.events(NotificationSuppressed) == []
    await harness.enroll()
    harness.clock.advance(20)
    await harness.fire_timers()
    assert len(harness.sms.sent) == 1


async def test_unknown_recipient_is_suppressed_after_the_grace(harness: Harness) -> None:
    await harness.publish(request(occurred_at=NOON - timedelta(minutes=10)))
    assert suppressed(harness) == ["unknown_recipient"]


async def test_a_bad_variable_fails_the_notification(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request(variables={"time": "lithium 300 mg"}))
    [failed] = harness.events(NotificationFailed)
    assert failed.error_code is None and failed.permanent and harness.sms.sent == []


async def test_detailed_consent_names_the_drug(harness: Harness) -> None:
    await harness.enroll(consents=["medications", "detailed_content"])
    await harness.publish(request(variables={"time": "08:00", "drug": "lithium"}))
    assert "lithium" in harness.sms.sent[0]["body"]


async def test_without_detailed_consent_the_drug_is_left_out(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request(variables={"time": "08:00", "drug": "lithium"}))
    assert "lithium" not in harness.sms.sent[0]["body"]


async def test_caregiver_texts_follow_the_patients_caregiver_consent(harness: Harness) -> None:
    await harness.enroll(consents=["medications"])
    await harness.publish(
        CaregiverLinked(
            patient_id="p-1", caregiver_id="cg-1", phone="+15125550177", consent_evidence="form-1"
        )
    )
    req = dict(
        recipient={"kind": "caregiver", "id": "cg-1"},
        category="caregiver_missed_dose",
        template_id="caregiver_missed_dose",
        variables={},
        patient_chosen_time=False,
    )
    await harness.publish(request(**req))
    assert harness.sms.sent == [] and suppressed(harness) == ["opted_out"]
    await harness.publish(
        ConsentChanged(patient_id="p-1", status="granted", scope="caregiver", channel="portal")
    )
    await harness.publish(request(**req))
    [sms] = harness.sms.sent
    assert sms["to"] == "+15125550177" and "person you support" in sms["body"]


async def test_clinician_page_goes_out_at_3am(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 3, 11, 8, 0, tzinfo=UTC))  # 03:00 CDT
    await harness.publish(
        ClinicianRegistered(
            clinician_id="c-1", phone="+15125550188", display_name="Dr. Lee", sites=["houston"]
        )
    )
    await harness.publish(
        request(
            notification_id=uuid4(),
            priority="urgent",
            recipient={"kind": "clinician", "id": "c-1"},
            category="clinician_page",
            template_id="clinician_page",
            variables={"code": "4821", "severity": "P0"},
            patient_chosen_time=False,
            reply_context={"kind": "page", "ref": "4821", "extra": {"alert_id": "al-1"}},
        )
    )
    [sms] = harness.sms.sent
    assert sms["body"].startswith("Bayou Health: URGENT P0 alert, code 4821")
    assert sms["from"] == "+17135550100"
