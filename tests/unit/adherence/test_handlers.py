"""The adherence handlers and timer steps end to end in memory: reminders, follow-ups, cut-offs,
replies, plan changes, refills and alerts, with FakeClock-driven days."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from aiokafka.errors import KafkaConnectionError

from services.adherence.messages import IDS
from services.adherence.timers import DoseStep
from shared.events import (
    CaregiverLinked,
    DoseSkipped,
    DoseTaken,
    MedicationDispensed,
    MedicationPlanChanged,
    MedicationPlanStarted,
    MedicationPlanStopped,
    PatientDischarged,
)
from shared.testing.factories import sample
from tests.unit.adherence.harness import running
from tests.unit.adherence.support import utc

START = utc(2026, 4, 6, 12, 0)  # 07:00 CDT, a Monday
DOSE = "plan-1:2026-04-06:08:00"
H = timedelta(hours=1)


def started(**kw: object) -> MedicationPlanStarted:
    fields: dict[str, object] = {
        "dose_times": ["08:00"],
        "start_date": date(2026, 4, 6),
        "occurred_at": START,
        **kw,
    }
    return sample(MedicationPlanStarted, **fields)


async def test_a_plan_reminds_at_the_dose_time_with_phi_free_content() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 12, 59))
        assert h.notifications() == []
        await h.run_until(utc(2026, 4, 6, 13, 0))
        [reminder] = h.notifications()
        assert reminder["template_id"] == "dose_reminder"
        assert reminder["variables"] == {"time": "8:00 AM"}
        assert reminder["category"] == "dose_reminder"
        assert reminder["patient_chosen_time"] is True
        assert reminder["reply_context"] == {
            "kind": "dose",
            "ref": DOSE,
            "extra": {"plan_id": "plan-1"},
        }
        assert reminder["recipient"] == {"kind": "patient", "id": "p-1001"}
        assert reminder["dedup_key"] == f"dose:{DOSE}:reminder"
        assert reminder["notification_id"] == str(IDS.id(f"dose:{DOSE}:reminder"))
        assert reminder["expires_at"].startswith("2026-04-07T01:00")  # the cut-off
        assert "sertraline" not in json.dumps(reminder)


async def test_a_redis_that_lost_its_scripts_still_reminds_once_and_notes_it() -> None:
    """After a Redis restart the scripts are gone: the reminder's claim completion and the
    dose's reminded_at, written in one round trip, fall back to one by one."""
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 12, 59))
        await h.redis.script_flush()
        await h.run_until(utc(2026, 4, 6, 13, 0))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder"]
        dose = await h.ctx.state.dose(DOSE)
        assert dose is not None and dose.reminded_at == utc(2026, 4, 6, 13, 0)
        patient = await h.ctx.state.patient("p-1001")
        assert patient.last_prompt_at == utc(2026, 4, 6, 13, 0)


async def test_a_taken_reply_closes_the_dose_and_cancels_the_follow_up() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 13, 5))
        await h.send(sample(DoseTaken, dose_id=DOSE, taken_at=utc(2026, 4, 6, 13, 5)))
        await h.run_until(utc(2026, 4, 7, 2, 0))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder"]
        assert h.missed() == []
        dose = await h.ctx.state.dose(DOSE)
        assert dose is not None and dose.status == "taken_on_time"
        assert await h.ctx.timers.get(DoseStep(DOSE, "cutoff").key) == (None, None)


async def test_an_unanswered_dose_gets_one_follow_up_a_caregiver_notice_and_is_missed() -> None:
    async with running(START) as h:
        await h.send(sample(CaregiverLinked))
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 14, 0))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder", "dose_followup"]
        followup = h.notifications("dose_followup")[0]
        assert followup["template_id"] == "dose_followup"
        assert followup["reply_context"]["ref"] == DOSE
        await h.run_until(utc(2026, 4, 6, 15, 0))
        [notice] = h.notifications("caregiver_missed_dose")
        assert notice["recipient"] == {"kind": "caregiver", "id": "cg-1"}
        assert notice["template_id"] == "caregiver_missed_dose"
        assert notice["variables"] == {"time": "8:00 AM"}
        assert h.missed() == []
        await h.run_until(utc(2026, 4, 7, 1, 0))
        [missed] = h.missed()
        assert (missed["dose_id"], missed["reason"]) == (DOSE, "no_reply")
        assert missed["drug_class"] == "ssri" and "drug" not in missed
        dose = await h.ctx.state.dose(DOSE)
        assert dose is not None and dose.status == "missed"
        assert len(h.notifications()) == 3  # nothing more for this dose


async def test_a_skip_is_published_as_missed_at_once() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 13, 1))
        await h.send(sample(DoseSkipped, dose_id=DOSE, reported_at=utc(2026, 4, 6, 13, 2)))
        [missed] = h.missed()
        assert missed["reason"] == "skipped"
        await h.run_until(utc(2026, 4, 7, 2, 0))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder"]
        assert len(h.missed()) == 1


async def test_replays_and_refired_timers_send_nothing_twice() -> None:
    async with running(START) as h:
        event = started()
        await h.send(event)
        await h.send(event)
        await h.run_until(utc(2026, 4, 6, 13, 0))
        # the worker died after publishing: the timer fires again
        await h.ctx.timers.schedule(
            DoseStep(DOSE, "reminder").key,
            utc(2026, 4, 6, 13, 0),
            {"kind": "dose", "dose": DOSE, "step": "reminder"},
        )
        await h.run_until(utc(2026, 4, 6, 13, 1))
        taken = sample(DoseTaken, dose_id=DOSE, taken_at=utc(2026, 4, 6, 13, 2))
        await h.send(taken)
        await h.send(taken)
        assert len(h.notifications()) == 1
        patient = await h.ctx.state.patient("p-1001")
        assert patient.replies == 1


async def test_a_report_with_an_unknown_dose_id_binds_to_the_open_dose_in_its_window() -> None:
    async with running(START) as h:
        await h.send(started(dose_times=["08:00", "20:00"]))
        await h.run_until(utc(2026, 4, 6, 13, 0))
        await h.send(
            sample(DoseTaken, dose_id="app-7781", channel="app", taken_at=utc(2026, 4, 6, 12, 40))
        )
        dose = await h.ctx.state.dose(DOSE)
        assert dose is not None and dose.status == "taken_on_time"
        evening = await h.ctx.state.dose("plan-1:2026-04-06:20:00")
        assert evening is not None and evening.status == "pending"


async def test_a_change_moves_future_doses_from_tomorrow_and_a_stop_cancels_them() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 6, 13, 0))
        await h.send(sample(MedicationPlanChanged, dose_times=["21:00"], dose_changed=False))
        assert (await h.ctx.state.dose("plan-1:2026-04-07:08:00")).status == "cancelled"  # type: ignore[union-attr]
        assert (await h.ctx.state.dose("plan-1:2026-04-07:21:00")).status == "pending"  # type: ignore[union-attr]
        assert await h.ctx.state.dose("plan-1:2026-04-06:21:00") is None  # not a second dose today
        await h.run_until(utc(2026, 4, 8, 2, 1))
        refs = [n["reply_context"]["ref"] for n in h.notifications("dose_reminder")]
        assert refs == [DOSE, "plan-1:2026-04-07:21:00"]
        await h.send(sample(MedicationPlanStopped))
        await h.run_until(utc(2026, 4, 12, 0, 0))
        assert len(h.notifications("dose_reminder")) == 2
        assert (await h.ctx.state.dose("plan-1:2026-04-08:21:00")).status == "cancelled"  # type: ignore[union-attr]


async def test_the_horizon_keeps_materializing_an_open_ended_plan() -> None:
    async with running(START, horizon_days=1) as h:
        await h.send(started())
        await h.run_until(utc(2026, 4, 13, 0, 0))
        refs = [n["reply_context"]["ref"] for n in h.notifications("dose_reminder")]
        assert refs == [f"plan-1:2026-04-{d:02d}:08:00" for d in range(6, 13)]
        assert await h.ctx.timers.pending() < 20  # a rolling horizon, not every future dose


async def test_prn_plans_are_never_reminded_or_counted() -> None:
    async with running(START) as h:
        await h.send(started(prn=True))
        await h.run_until(utc(2026, 4, 9, 0, 0))
        assert h.notifications() == [] and h.missed() == []
        assert await h.ctx.state.doses("plan-1", since=START - H) == []


async def test_spring_forward_dose_fires_once_at_three_and_fall_back_once_at_first() -> None:
    spring = utc(2026, 3, 7, 12, 0)
    async with running(spring) as h:
        await h.send(started(dose_times=["02:30"], start_date=date(2026, 3, 7), occurred_at=spring))
        await h.run_until(utc(2026, 3, 9, 12, 0))
        fired = {n["reply_context"]["ref"]: n for n in h.notifications("dose_reminder")}
        assert list(fired) == ["plan-1:2026-03-08:02:30", "plan-1:2026-03-09:02:30"]
        assert fired["plan-1:2026-03-08:02:30"]["variables"] == {"time": "2:30 AM"}
    fall = utc(2026, 10, 31, 12, 0)
    async with running(fall) as h:
        await h.send(started(dose_times=["01:30"], start_date=date(2026, 10, 31), occurred_at=fall))
        await h.run_until(utc(2026, 11, 1, 6, 29))
        assert h.notifications("dose_reminder") == []
        await h.run_until(utc(2026, 11, 1, 6, 30))
        assert len(h.notifications("dose_reminder")) == 1
        await h.run_until(utc(2026, 11, 1, 7, 45))  # past the second 01:30
        assert len(h.notifications("dose_reminder")) == 1


async def test_after_an_outage_a_late_reminder_still_goes_and_the_follow_up_waits() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.ctx.timers.cancel(DoseStep(DOSE, "reminder").key)  # nothing fires while "down"
        await h.ctx.timers.schedule(
            DoseStep(DOSE, "reminder").key,
            utc(2026, 4, 6, 17, 0),
            {"kind": "dose", "dose": DOSE, "step": "reminder"},
        )
        await h.run_until(utc(2026, 4, 6, 17, 0))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder"]
        await h.run_until(utc(2026, 4, 6, 18, 0))
        assert [n["category"] for n in h.notifications()] == ["dose_reminder", "dose_followup"]


async def test_a_dose_no_prompt_could_reach_is_unknown_not_missed() -> None:
    async with running(START) as h:
        await h.send(started())
        for step in ("reminder", "followup"):
            await h.ctx.timers.cancel(DoseStep(DOSE, step).key)
        await h.run_until(utc(2026, 4, 7, 1, 0))
        dose = await h.ctx.state.dose(DOSE)
        assert dose is not None and dose.status == "unknown"
        assert h.missed() == [] and h.notifications() == []


async def test_two_missed_lithium_days_raise_one_alert_per_episode() -> None:
    async with running(START) as h:
        await h.send(started(drug="lithium", drug_class="lithium"))
        await h.run_until(utc(2026, 4, 7, 1, 1))
        assert h.alerts() == []
        await h.run_until(utc(2026, 4, 8, 1, 1))
        [alert] = h.alerts("ADH-LITHIUM")
        assert alert["severity"] == "P1"
        assert [e["ref"] for e in alert["evidence"]] == [DOSE, "plan-1:2026-04-07:08:00"]
        assert alert["dedup_key"] == f"p-1001:ADH-LITHIUM:plan:plan-1:{DOSE}"
        assert "lithium" not in json.dumps(alert).replace("ADH-LITHIUM", "")
        await h.run_until(utc(2026, 4, 9, 1, 1))
        assert len(h.alerts("ADH-LITHIUM")) == 1  # day 3: the same episode
        assert len(h.alerts("ADH-CONSEC-MISS")) == 1  # three doses now
        await h.send(
            sample(DoseTaken, dose_id="plan-1:2026-04-09:08:00", taken_at=utc(2026, 4, 9, 13, 0))
        )
        await h.run_until(utc(2026, 4, 12, 1, 1))
        lithium = h.alerts("ADH-LITHIUM")
        assert len(lithium) == 2  # a new episode after a dose was taken
        assert lithium[1]["evidence"][0]["ref"] == "plan-1:2026-04-10:08:00"
        assert lithium[0]["alert_id"] != lithium[1]["alert_id"]


async def test_clozapine_48_hours_without_a_dose_raise_an_alert_on_time() -> None:
    async with running(START) as h:
        await h.send(started(drug="clozapine", drug_class="antipsychotic"))
        await h.run_until(utc(2026, 4, 6, 13, 5))
        await h.send(sample(DoseTaken, dose_id=DOSE, taken_at=utc(2026, 4, 6, 13, 5)))
        await h.run_until(utc(2026, 4, 8, 13, 4))
        assert h.alerts("ADH-CLOZ-48H") == []
        await h.run_until(utc(2026, 4, 8, 13, 5))  # no dose closes now: the gap timer fires
        [alert] = h.alerts("ADH-CLOZ-48H")
        assert alert["severity"] == "P1"
        refs = [e["ref"] for e in alert["evidence"]]
        assert refs[0] == DOSE  # the last dose taken
        assert "plan-1:2026-04-07:08:00" in refs and "plan-1:2026-04-08:08:00" in refs
        await h.run_until(utc(2026, 4, 10, 0, 0))
        assert len(h.alerts("ADH-CLOZ-48H")) == 1


async def test_a_fill_ending_in_five_days_yields_one_refill_reminder_then_a_lapse() -> None:
    async with running(START) as h:
        await h.send(started())
        fill = sample(MedicationDispensed, fill_date=date(2026, 4, 6), days_supply=5)
        await h.send(fill)
        await h.send(fill)  # a replay is not a second fill
        await h.run_until(utc(2026, 4, 6, 15, 0))  # 10:00 CDT
        [refill] = h.notifications("refill_reminder")
        assert refill["template_id"] == "refill_reminder"
        assert refill["variables"] == {"days": "5"}
        assert refill["patient_chosen_time"] is False
        await h.run_until(utc(2026, 4, 18, 16, 0))
        assert len(h.notifications("refill_reminder")) == 1
        [review] = h.alerts("ADH-NO-REFILL")
        assert review["severity"] == "P2"
        metrics = (await h.ctx.state.metrics("p-1001"))["plan-1"]
        assert metrics["run_out"] == "2026-04-11"
        assert metrics["scheduled_7d"] > 0 and metrics["ratio_7d"] == 0.0


async def test_discharge_cancels_everything() -> None:
    async with running(START) as h:
        await h.send(started())
        await h.send(sample(PatientDischarged))
        await h.run_until(utc(2026, 4, 9, 0, 0))
        assert h.notifications() == []


class FlakyBus:
    """The event bus with Kafka away for the first `failures` publishes."""

    def __init__(self, bus: Any, failures: int) -> None:
        self.bus, self.failures = bus, failures

    async def publish(self, event: Any, *, topic: str | None = None) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise KafkaConnectionError()
        await self.bus.publish(event, topic=topic)


async def test_a_kafka_outage_postpones_the_reminder_instead_of_burying_it() -> None:
    async with running(START) as h:
        await h.send(started())
        # 30 failed publishes, one every 5 s: more than the worker's 10 attempts per timer
        h.ctx.bus = FlakyBus(h.ctx.bus, failures=30)
        await h.run_until(utc(2026, 4, 6, 13, 2))
        assert h.notifications() == [] and await h.ctx.timers.dead() == {}
        await h.run_until(utc(2026, 4, 6, 13, 3))
        [reminder] = h.notifications()
        assert reminder["reply_context"]["ref"] == DOSE
