"""The directory, materialized from mtm.patients and mtm.clinicians."""

from __future__ import annotations

import logging

from services.dispatcher.contacts.directory import Contact
from services.dispatcher.context import Context
from services.dispatcher.rules.consent import apply_grant
from shared.events import (
    CaregiverLinked,
    CaregiverUnlinked,
    ClinicianRegistered,
    ConsentChanged,
    Event,
    PatientContactChanged,
    PatientDischarged,
    PatientEnrolled,
    phone_key,
)

log = logging.getLogger("mtm.dispatcher")


async def on_patient_event(ctx: Context, event: Event) -> None:
    if isinstance(event, PatientEnrolled):
        await _enrolled(ctx, event)
    elif isinstance(event, PatientContactChanged):
        await _contact_changed(ctx, event)
    elif isinstance(event, ConsentChanged):
        await _consent_changed(ctx, event)
    elif isinstance(event, CaregiverLinked):
        await _caregiver_linked(ctx, event)
    elif isinstance(event, CaregiverUnlinked):
        await _caregiver_unlinked(ctx, event)
    elif isinstance(event, PatientDischarged):
        await ctx.directory.update("patient", event.patient_id, discharged=True)


async def _enrolled(ctx: Context, event: PatientEnrolled) -> None:
    # The clinic asserts this number anew: forget an earlier "invalid" verdict on it.
    await ctx.directory.clear_invalid(phone_key(event.phone))
    await ctx.directory.put(
        Contact(
            kind="patient",
            id=event.patient_id,
            phone=event.phone,
            language=event.language,
            zone=event.zone,
            site_id=event.site_id,
            quiet_start=event.quiet_start,
            quiet_end=event.quiet_end,
            programs=tuple(sorted(set(event.consents))),
            discharged=False,
        )
    )
    log.info("patient in directory", extra={"patient_id": event.patient_id})
    await _echo_opt_out(ctx, event.phone)


async def _echo_opt_out(ctx: Context, phone: str) -> None:
    """A number that texted STOP before we knew whose it was: tell mtm.patients now."""
    key = phone_key(phone)
    record = await ctx.directory.opt_out_state(key)
    if record is not None:
        carrier = record.evidence.startswith("twilio-")
        await ctx.announce_consent(
            key,
            status="revoked",
            channel="carrier" if carrier else "sms_keyword",
            evidence=record.evidence,
        )


async def _contact_changed(ctx: Context, event: PatientContactChanged) -> None:
    changes = {
        name: getattr(event, name)
        for name in ("phone", "language", "zone", "quiet_start", "quiet_end")
        if getattr(event, name) is not None
    }
    if event.phone is not None:
        await ctx.directory.clear_invalid(phone_key(event.phone))
    if await ctx.directory.update("patient", event.patient_id, **changes) is None:
        log.warning("contact change for an unknown patient", extra={"patient_id": event.patient_id})
    elif event.phone is not None:
        await _echo_opt_out(ctx, event.phone)


async def _consent_changed(ctx: Context, event: ConsentChanged) -> None:
    if event.channel in ("sms_keyword", "carrier"):
        # The dispatcher owns the per-number SMS ledger (it reads the keywords and the
        # carrier errors); mirroring its own events back could undo a newer STOP.
        return
    patient = await ctx.directory.get("patient", event.patient_id)
    if patient is None:
        log.warning("consent change for an unknown patient", extra={"patient_id": event.patient_id})
        return
    programs = apply_grant(frozenset(patient.programs), status=event.status, scope=event.scope)
    await ctx.directory.update("patient", event.patient_id, programs=tuple(sorted(programs)))


async def _caregiver_linked(ctx: Context, event: CaregiverLinked) -> None:
    patient = await ctx.directory.get("patient", event.patient_id)
    current = await ctx.directory.get("caregiver", event.caregiver_id)
    patients = tuple(sorted({*(current.patients if current else ()), event.patient_id}))
    await ctx.directory.put(
        Contact(
            kind="caregiver",
            id=event.caregiver_id,
            phone=event.phone,
            language=event.language,
            zone=patient.zone if patient else None,
            site_id=patient.site_id if patient else None,
            quiet_start=patient.quiet_start if patient else None,
            quiet_end=patient.quiet_end if patient else None,
            patients=patients,
        )
    )


async def _caregiver_unlinked(ctx: Context, event: CaregiverUnlinked) -> None:
    current = await ctx.directory.get("caregiver", event.caregiver_id)
    if current is None:
        return
    patients = tuple(p for p in current.patients if p != event.patient_id)
    if patients:
        await ctx.directory.update("caregiver", event.caregiver_id, patients=patients)
    else:
        await ctx.directory.remove("caregiver", event.caregiver_id)


async def on_clinician_event(ctx: Context, event: Event) -> None:
    if not isinstance(event, ClinicianRegistered):
        return
    site_id = next((s for s in event.sites if s in ctx.settings.sites), None)
    zone = ctx.site(site_id)[1].zone
    await ctx.directory.put(
        Contact(
            kind="clinician",
            id=event.clinician_id,
            phone=event.phone,
            zone=zone,
            site_id=site_id,
        )
    )
    log.info("clinician in directory", extra={"clinician_id": event.clinician_id})
