"""Replies and silence, in memory: late replies, reports for another patient's plan, caregiver
links, and ADH-DATA-GAP once for a patient who stopped answering."""

from __future__ import annotations

from datetime import date, timedelta

from shared.events import CaregiverLinked, CaregiverUnlinked, DoseTaken, MedicationPlanStarted
from shared.testing.factories import sample
from tests.unit.adherence.harness import running
from tests.unit.adherence.support import utc

START = utc(2026, 4, 6, 12, 0)  # 07:00 CDT


def started() -> MedicationPlanStarted:
    return sample(
        MedicationPlanStarted, dose_times=["08:00"], start_date=date(2026, 4, 6), occurred_at=START
    )


def taken(day: int, **kw: object) -> DoseTaken:
    """The patient's report of the day's 08:00 dose, by default five minutes after it."""
    fields: dict[str, object] = {
        "dose_id": f"plan-1:2026-04-{day:02d}:08:00",
        "taken_at": utc(2026, 4, day, 13, 5),
        **kw,
    }
    return sample(DoseTaken, **fields)


async def test_a_reply_after_the_cut_off_leaves_the_dose_missed_but_counts_as_engagement() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 7, 2, 0))
        await h.send(taken(6, taken_at=utc(2026, 4, 7, 2, 0)))  # 21:00 CDT, after the cut-off
        dose = await h.ctx.state.dose("plan-1:2026-04-06:08:00")
        assert dose is not None and dose.status == "missed"
        assert len(h.missed()) == 1
        assert (await h.ctx.state.patient("p-1001")).replies == 1


async def test_a_report_naming_another_patients_plan_changes_nothing() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 13, 0))
        await h.send(taken(6, patient_id="p-other"))
        dose = await h.ctx.state.dose("plan-1:2026-04-06:08:00")
        assert dose is not None and dose.status == "pending"


async def test_an_unlinked_caregiver_is_not_told() -> None:
    async with running(START) as h:
        await h.send(sample(CaregiverLinked))
        await h.send(sample(CaregiverUnlinked))
        await h.send(started())
        await h.run_until(utc(2026, 4, 7, 2, 0))
        assert h.notifications("caregiver_missed_dose") == []


async def test_a_patient_who_stops_answering_raises_one_data_gap_review() -> None:
    async with running(START) as h:
        await h.send(started())
        for day in (6, 7, 8):
            await h.run_until(utc(2026, 4, day, 13, 1))
            await h.send(taken(day))
        last = utc(2026, 4, 8, 13, 5)
        await h.run_until(last + timedelta(hours=72) - timedelta(minutes=1))
        assert h.alerts("ADH-DATA-GAP") == []
        await h.run_until(last + timedelta(hours=72))
        [alert] = h.alerts("ADH-DATA-GAP")
        assert alert["severity"] == "P3"
        assert alert["dedup_key"] == f"p-1001:ADH-DATA-GAP:patient:p-1001:since:{last.isoformat()}"
        await h.run_until(last + timedelta(days=6))
        assert len(h.alerts("ADH-DATA-GAP")) == 1


async def test_after_an_outage_the_caregiver_hears_only_after_the_late_follow_up() -> None:
    async with running(START) as h:
        await h.send(sample(CaregiverLinked))
        await h.send(started())
        dose = "plan-1:2026-04-06:08:00"
        await h.ctx.timers.schedule(  # the service was down from 08:00 to 12:00 CDT
            f"dose|{dose}|reminder",
            utc(2026, 4, 6, 17, 0),
            {"kind": "dose", "dose": dose, "step": "reminder"},
        )
        await h.run_until(utc(2026, 4, 6, 18, 59))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder", "dose_followup"]
        await h.run_until(utc(2026, 4, 6, 19, 0))
        assert h.notifications()[-1]["category"] == "caregiver_missed_dose"
