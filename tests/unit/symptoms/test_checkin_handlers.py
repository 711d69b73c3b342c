"""Check-ins through the symptoms handlers (TestKafkaBroker, fake Redis, fake clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from shared import events as ev
from shared.broker import EventBus
from shared.testing.factories import sample
from tests.unit.symptoms.checkin_support import MONDAY, PATIENT, Harness, plan_set, running

TEN = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Mon 10:00 CST in Austin


@pytest.fixture
async def h(namespace: str) -> AsyncIterator[Harness]:
    async with running(namespace) as harness:
        yield harness


async def open_phq2(h: Harness) -> ev.NotificationRequested:
    await h.send(plan_set("PHQ-2"))
    assert await h.at(TEN - timedelta(minutes=1)) == 0  # nothing before its time
    assert await h.at(TEN) == 1
    [first] = h.items()
    return first


async def test_a_due_plan_asks_the_first_item_once(h: Harness) -> None:
    first = await open_phq2(h)
    assert first.template_id == "checkin_item" and first.priority == "routine"
    assert first.recipient == ev.Recipient(kind="patient", id=PATIENT)
    assert first.variables == {"instrument": "PHQ-2", "item": "1", "of": "2"}
    ctx = first.reply_context
    assert ctx.kind == "checkin" and ctx.ref.startswith("ci-")
    assert {k: ctx.extra[k] for k in ("step", "answer", "max", "follow_up")} == {
        "step": "1",
        "answer": "scale",
        "max": "3",
        "follow_up": "0",  # the first item is a routine system text (caps, quiet hours)
    }
    assert first.expires_at == TEN + timedelta(hours=24)
    # The plan's timer moved on to next Monday; firing again changes nothing now.
    assert await h.at(TEN + timedelta(hours=1)) == 0
    assert len(h.items()) == 1
    # Next Monday (10:00 CDT now): last week's session expires (nothing answered, nothing
    # stored) and a new one opens.
    assert await h.at(TEN + timedelta(days=7)) == 2
    assert h.items()[-1].reply_context.ref != ctx.ref
    assert h.items()[-1].occurred_at == TEN + timedelta(days=7)
    assert h.of(ev.QuestionnaireCompleted) == []


async def test_phq2_answered_2_and_2_goes_on_into_the_phq9_and_item9_pages_at_once(
    h: Harness,
) -> None:
    await open_phq2(h)
    await h.answer(2)
    await h.answer(2)
    assert h.asked()[-1] == ("PHQ-9", "3")
    [screen] = h.of(ev.QuestionnaireCompleted)
    assert (screen.instrument, screen.status) == ("PHQ-2", "completed")
    assert ("SYM-PHQ2-GATE", "P3") in h.alerts()
    follow = h.items()[-1].reply_context.extra
    assert follow["follow_up"] == "1" and follow["step"] == "3" and follow["of"] == "9"
    for value in (1, 1, 0, 1, 0, 0):
        await h.answer(value)
    assert h.asked()[-1] == ("PHQ-9", "9")
    before = len(h.out)
    await h.answer(1)  # item 9
    after = h.out[before:]
    kinds = [type(e).__name__ for e in after]
    # The alert and the crisis text come first, then the completed PHQ-9 (scored, no new alert).
    assert kinds[:2] == ["ClinicalAlertRaised", "NotificationRequested"]
    assert "QuestionnaireCompleted" in kinds[2:]
    assert [a for a in h.alerts() if a[0] == "SYM-PHQ9-ITEM9"] == [("SYM-PHQ9-ITEM9", "P1")]
    assert len(h.crisis_texts()) == 1
    phq9 = h.of(ev.QuestionnaireCompleted)[-1]
    assert (phq9.instrument, phq9.status, len(phq9.answers)) == ("PHQ-9", "completed", 9)
    assert phq9.session_id == h.items()[0].reply_context.ref
    assert len(h.items()) == 9  # nothing asked after the last item


async def test_phq2_below_the_gate_ends_the_session(h: Harness) -> None:
    await open_phq2(h)
    await h.answer(1)
    await h.answer(1)
    assert h.asked() == [("PHQ-2", "1"), ("PHQ-2", "2")]
    [screen] = h.of(ev.QuestionnaireCompleted)
    assert (screen.instrument, screen.status) == ("PHQ-2", "completed")
    assert h.alerts() == []


async def test_a_redelivered_answer_asks_the_next_item_once(h: Harness) -> None:
    await open_phq2(h)
    answer = await h.answer(2)
    await h.send(answer)
    assert h.asked() == [("PHQ-2", "1"), ("PHQ-2", "2")]


async def test_a_crash_before_the_next_item_republishes_the_same_ids(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_phq2(h)
    original = EventBus.publish
    failed: list[ev.NotificationRequested] = []

    async def flaky(self: EventBus, event: ev.Event, **kw: object) -> None:
        if isinstance(event, ev.NotificationRequested) and not failed:
            failed.append(event)
            raise ConnectionError("broker gone")
        await original(self, event, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(EventBus, "publish", flaky)
    with pytest.raises(ConnectionError):
        await h.svc.context.checkins.on_answer(
            sample(
                ev.QuestionnaireItemAnswered,
                patient_id=PATIENT,
                session_id=h.items()[0].reply_context.ref,
                instrument="PHQ-2",
                item="1",
                value=2,
                event_id=failed_id,
                occurred_at=TEN,
            )
        )
    # The redelivery of the same answer (same event id): the same next item, same ids.
    await h.answer(2, event_id=failed_id)
    [again] = [r for r in h.items() if r.variables["item"] == "2"]
    assert again.notification_id == failed[0].notification_id
    assert again.event_id == failed[0].event_id


failed_id = "6f1c3a52-0000-4000-8000-000000000001"


async def test_expiry_stores_in_progress_and_scores_nothing(h: Harness) -> None:
    await open_phq2(h)
    await h.answer(3)
    assert await h.at(TEN + timedelta(hours=24)) == 1
    [stored] = h.of(ev.QuestionnaireCompleted)
    assert (stored.instrument, stored.status, [(a.item, a.value) for a in stored.answers]) == (
        "PHQ-2",
        "in_progress",
        [("1", 3)],
    )
    assert h.alerts() == []
    await h.answer(3)  # a late answer to item 2: the session is over
    assert len(h.items()) == 2


async def test_an_opt_out_ends_the_session_and_skips_later_check_ins(h: Harness) -> None:
    await open_phq2(h)
    await h.answer(2)
    await h.send(
        sample(
            ev.ConsentChanged,
            patient_id=PATIENT,
            status="revoked",
            scope="all",
            channel="sms_keyword",
            occurred_at=TEN + timedelta(minutes=5),
        )
    )
    [stored] = h.of(ev.QuestionnaireCompleted)
    assert stored.status == "in_progress"
    await h.answer(2)
    assert len(h.items()) == 2  # nothing asked after the opt-out
    assert await h.at(TEN + timedelta(days=7)) == 1
    assert len(h.items()) == 2  # next week's check-in skipped while consent is revoked
    await h.send(
        sample(
            ev.ConsentChanged,
            patient_id=PATIENT,
            status="granted",
            scope="all",
            channel="sms_keyword",
        )
    )
    assert await h.at(TEN + timedelta(days=14)) == 1
    assert len(h.items()) == 3


async def test_one_conversation_at_a_time(h: Harness) -> None:
    await h.send(plan_set("PHQ-2"))
    await h.send(plan_set("GAD-7", every_days=14))
    assert await h.at(TEN) == 2
    [(first, _)] = h.asked()  # whichever fired first; the other waits
    for _ in range(2 if first == "PHQ-2" else 7):
        await h.answer(0)
    assert len({r.reply_context.ref for r in h.items()}) == 1
    assert await h.at(TEN + timedelta(minutes=29)) == 0
    assert await h.at(TEN + timedelta(minutes=30)) == 1
    other = "GAD-7" if first == "PHQ-2" else "PHQ-2"
    assert h.asked()[-1] == (other, "1")
    assert h.items()[-1].reply_context.ref != h.items()[0].reply_context.ref


async def test_a_changed_plan_replaces_the_old_timer(h: Harness) -> None:
    await h.send(plan_set("PHQ-2"))
    await h.send(plan_set("PHQ-2", weekday=2, occurred_at=MONDAY + timedelta(minutes=1)))
    assert await h.at(TEN) == 0  # not Monday any more
    assert await h.at(TEN + timedelta(days=2)) == 1  # Wed 4 March, 10:00 CST
    assert h.asked() == [("PHQ-2", "1")]
    await h.send(plan_set("PHQ-2", active=False, occurred_at=MONDAY + timedelta(days=3)))
    await h.at(TEN + timedelta(days=30))  # only the open session's expiry is left
    assert h.asked() == [("PHQ-2", "1")]
    assert await h.svc.context.checkins.timers.pending() == 0


async def test_side_effect_check_after_a_lamotrigine_start_raises_the_rash_alert(
    h: Harness,
) -> None:
    await h.send(
        sample(
            ev.MedicationPlanStarted,
            patient_id=PATIENT,
            plan_id="ltg-1",
            drug="lamotrigine",
            drug_class="anticonvulsant",
            zone="America/Chicago",
            start_date=MONDAY.date(),
            occurred_at=MONDAY,
        )
    )
    # The first side-effect check-in: a week after the start, 10:00 local.
    assert await h.at(TEN + timedelta(days=7) - timedelta(hours=1)) == 1  # CDT from 8 March
    [checklist] = h.items()
    assert checklist.variables == {"instrument": "side_effects", "item": "0", "of": "0"}
    assert checklist.reply_context.extra["answer"] == "checklist"
    await h.answer(1, values=[6])
    assert h.asked()[-1] == ("side_effects", "6")
    await h.answer(2)
    [report] = h.of(ev.SideEffectReported)
    assert [(e.code, e.severity) for e in report.effects] == [("rash_new", 2)]
    assert report.channel == "sms"
    assert ("SE-LTG-RASH", "P1") in h.alerts()


async def test_site_defaults_plan_check_ins_at_enrolment(namespace: str) -> None:
    defaults = {"austin": [{"kind": "GAD-7", "every_days": 14, "weekday": 0}]}
    async with running(namespace, checkin_site_defaults=defaults) as h:
        await h.send(
            sample(
                ev.PatientEnrolled,
                patient_id=PATIENT,
                site_id="austin",
                zone="America/Chicago",
                consents=["checkins"],
                occurred_at=MONDAY,
            )
        )
        assert await h.at(TEN) == 1
        assert h.asked() == [("GAD-7", "1")]


async def test_no_check_in_without_the_programme_until_it_is_granted(h: Harness) -> None:
    await h.send(
        sample(
            ev.PatientEnrolled,
            patient_id=PATIENT,
            site_id="austin",
            zone="America/Chicago",
            consents=["medications"],
            occurred_at=MONDAY,
        )
    )
    await h.send(plan_set("PHQ-2"))
    assert await h.at(TEN) == 1
    assert h.items() == []
    await h.send(
        sample(
            ev.ConsentChanged,
            patient_id=PATIENT,
            status="granted",
            scope="checkins",
            channel="portal",
        )
    )
    assert await h.at(TEN + timedelta(days=7)) == 1
    assert h.asked() == [("PHQ-2", "1")]
