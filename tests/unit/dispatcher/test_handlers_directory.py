"""The directory materialized from mtm.patients and mtm.clinicians."""

from __future__ import annotations

from shared.events import (
    CaregiverLinked,
    CaregiverUnlinked,
    ClinicianRegistered,
    ConsentChanged,
    PatientContactChanged,
    PatientDischarged,
    phone_key,
)
from tests.unit.dispatcher.conftest import OTHER_PHONE, PHONE, Harness, request


async def test_enrolment_and_contact_changes(harness: Harness) -> None:
    d = harness.ctx.directory
    await harness.enroll()
    contact = await d.get("patient", "p-1")
    assert contact and contact.phone == PHONE and contact.zone == "America/Chicago"
    await harness.publish(
        PatientContactChanged(
            patient_id="p-1", phone=OTHER_PHONE, language="es", zone="America/Denver"
        )
    )
    contact = await d.get("patient", "p-1")
    assert contact and (contact.phone, contact.language, contact.zone) == (
        OTHER_PHONE,
        "es",
        "America/Denver",
    )
    assert await d.owners(phone_key(PHONE)) == []
    assert await d.owners(phone_key(OTHER_PHONE)) == [("patient", "p-1")]
    await harness.publish(request())
    assert harness.sms.sent[0]["to"] == OTHER_PHONE and "medicina" in harness.sms.sent[0]["body"]


async def test_no_phone_numbers_in_key_names(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(request())
    await harness.text("1")
    keys = [k.decode() for k in await harness.redis.keys("*")]
    assert keys and all(k.startswith("unit:") for k in keys)
    assert not any("5125550143" in k for k in keys)


async def test_portal_consent_changes_programmes_but_not_the_sms_ledger(harness: Harness) -> None:
    await harness.enroll(consents=["appointments"])
    await harness.publish(
        ConsentChanged(patient_id="p-1", status="granted", scope="medications", channel="portal")
    )
    await harness.publish(request())
    assert len(harness.sms.sent) == 1
    # Our own keyword event echoed back on mtm.patients must not undo anything.
    await harness.publish(
        ConsentChanged(patient_id="p-1", status="granted", scope="all", channel="sms_keyword")
    )
    contact = await harness.ctx.directory.get("patient", "p-1")
    assert contact and set(contact.programs) == {"appointments", "medications"}


async def test_discharged_patients_get_no_reminders(harness: Harness) -> None:
    await harness.enroll()
    await harness.publish(PatientDischarged(patient_id="p-1"))
    await harness.publish(request())
    assert harness.sms.sent == []


async def test_caregiver_link_and_unlink(harness: Harness) -> None:
    d = harness.ctx.directory
    await harness.enroll()
    await harness.publish(
        CaregiverLinked(
            patient_id="p-1", caregiver_id="cg-1", phone=OTHER_PHONE, consent_evidence="f-1"
        )
    )
    cg = await d.get("caregiver", "cg-1")
    assert cg and cg.patients == ("p-1",) and cg.zone == "America/Chicago"
    await harness.publish(CaregiverUnlinked(patient_id="p-1", caregiver_id="cg-1"))
    assert await d.get("caregiver", "cg-1") is None


async def test_clinicians_take_their_sites_zone(harness: Harness) -> None:
    await harness.publish(
        ClinicianRegistered(
            clinician_id="c-1", phone="+12065550188", display_name="Dr. Lee", sites=["seattle"]
        )
    )
    c = await harness.ctx.directory.get("clinician", "c-1")
    assert c and c.zone == "America/Los_Angeles" and c.site_id == "seattle"


async def test_a_stop_before_enrolment_is_announced_at_enrolment(harness: Harness) -> None:
    await harness.text("STOP")
    assert harness.events(ConsentChanged) == []  # nobody known to tell yet
    await harness.enroll()
    [consent] = harness.events(ConsentChanged)
    assert (consent.patient_id, consent.status) == ("p-1", "revoked")
    await harness.publish(request())
    assert len(harness.sms.sent) == 1  # only the opt-out confirmation, never the reminder
