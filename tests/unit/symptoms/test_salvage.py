"""Fail safe on bad records: what a record that fails validation still says about risk is acted on
before it is dead-lettered; the dead letter itself raises a safety-lane warning at once."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.symptoms.salvage import rescue
from shared import events as ev
from shared import topics
from tests.unit.symptoms.handler_support import PATIENT, Harness, running
from tests.unit.symptoms.support import NOW

RISK_RULES = {"PHQ-9": "SYM-PHQ9-ITEM9", "C-SSRS": "SYM-CSSRS-TRIAGE"}


def record(**fields: Any) -> bytes:
    base = {
        "event_type": "QuestionnaireCompleted",
        "event_id": str(uuid.uuid4()),
        "patient_id": PATIENT,
        "response_id": "qr-9",
        "instrument": "PHQ-9",
        "answers": [{"item": "9", "value": 1}],
    }
    return json.dumps({**base, **fields}).encode()


@pytest.mark.parametrize(
    ("fields", "item9"),
    [
        ({"answers": [{"item": "6", "value": "n/a"}, {"item": "9", "value": 2}]}, 2),
        ({"answers": [{"item": 9, "value": "1"}]}, 1),
        ({"answers": [{"item": "Q9", "value": " 3 "}]}, 3),
        ({"answers": [{"item": "9", "value": 2.0}], "occurred_at": "last tuesday"}, 2),
        ({"answers": [{"item": "9", "value": 7}]}, 3),  # out of range reads as the top answer
        ({"answers": [{"item": "9", "value": 1}], "schema_version": 99}, 1),
        ({"answers": [{"item": "9", "value": 1}], "response_id": None}, 1),
        # "²" is a digit to str.isdigit() but not to int(): noise, never the end of the rescue
        ({"answers": [{"item": "9", "value": 1}, {"item": "6", "value": "²9"}]}, 1),
    ],
)
def test_a_readable_item9_is_rescued(fields: dict[str, Any], item9: int) -> None:
    rescued = rescue(record(**fields), now=NOW)
    assert isinstance(rescued, ev.QuestionnaireCompleted)
    assert rescued.status == "in_progress"  # never a total from a partial read
    assert [(a.item, a.value) for a in rescued.answers] == [("9", item9)]
    assert rescued.patient_id == PATIENT


@pytest.mark.parametrize(
    "raw",
    [
        record(answers=[{"item": "9", "value": 0}]),
        record(answers=[{"item": "3", "value": 3}]),
        record(answers=[{"item": "9", "value": "often"}]),
        record(patient_id=None),
        record(patient_id=""),
        record(instrument="GAD-7", answers=[{"item": "7", "value": 3}]),
        b"not json",
        b"[1, 2]",
        b"\xff\xfe",
    ],
)
def test_nothing_is_rescued_without_a_readable_risk_signal(raw: bytes) -> None:
    assert rescue(raw, now=NOW) is None


def test_cssrs_answers_keep_their_no_for_the_triage() -> None:
    rescued = rescue(
        record(
            instrument="C-SSRS",
            answers=[{"item": "6", "value": "yes"}, {"item": "6b", "value": "no"}, {"item": "2"}],
        ),
        now=NOW,
    )
    assert isinstance(rescued, ev.QuestionnaireCompleted)
    assert sorted((a.item, a.value) for a in rescued.answers) == [("6", 1), ("6b", 0)]


def test_a_side_effect_report_in_words_with_crisis_language_is_rescued() -> None:
    raw = json.dumps(
        {
            "event_type": "SideEffectReported",
            "patient_id": PATIENT,
            "report_id": "se-9",
            "effects": [{"code": "Sore Throat", "severity": "bad"}, {"code": 3}],
            "free_text": "i want to die",
            "channel": "carrier pigeon",
        }
    ).encode()
    rescued = rescue(raw, now=NOW)
    assert isinstance(rescued, ev.SideEffectReported)
    assert [(e.code, e.severity) for e in rescued.effects] == [("sore_throat", 2)]


async def test_a_broken_phq9_is_dead_lettered_warned_and_its_item9_raised_once(
    harness: Harness,
) -> None:
    broken = record(
        occurred_at="yesterday",
        channel="fax",
        answers=[{"item": "6", "value": "skipped"}, {"item": "9", "value": "1"}],
    )
    for _ in range(2):  # a producer retry: the same bytes twice
        await harness.br.publish(broken, topic=topics.SYMPTOMS, key=PATIENT.encode())
    assert harness.rules() == [("SYM-PHQ9-ITEM9", "P1")]
    assert [u.template_id for u in harness.urgent] == ["crisis_resources"]
    assert len(harness.dead) == 2
    assert [w.warning for w in harness.warnings] == ["safety_lane_dead_letter"] * 2
    assert all(PATIENT not in w.detail for w in harness.warnings)


answers_noise = st.lists(
    st.fixed_dictionaries(
        {
            "item": st.one_of(st.text(max_size=4), st.integers(-3, 30), st.none()),
            "value": st.one_of(
                st.none(), st.integers(-5, 9), st.text(max_size=5), st.floats(), st.booleans()
            ),
        }
    ),
    max_size=6,
)
envelope_noise = st.fixed_dictionaries(
    {},
    optional={
        "occurred_at": st.one_of(st.text(max_size=12), st.integers(), st.none()),
        "channel": st.one_of(st.sampled_from(["sms", "fax", ""]), st.integers()),
        "status": st.sampled_from(["completed", "in_progress", "done", ""]),
        "site_id": st.one_of(st.sampled_from(["austin", ""]), st.integers(), st.none()),
        "response_id": st.one_of(st.just("qr-h"), st.none(), st.integers(0, 9), st.just("")),
        "schema_version": st.sampled_from([1, 2, "1"]),
        "session_id": st.one_of(st.none(), st.text(max_size=3)),
    },
)


@given(
    instrument=st.sampled_from(["PHQ-9", "C-SSRS"]),
    risk=st.sampled_from([1, 2, 3, "1", " 2 ", True, "yes", 1.0]),
    noise=answers_noise,
    envelope=envelope_noise,
    copies=st.integers(1, 3),
)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_a_readable_risk_item_raises_its_alert_exactly_once_whatever_else_is_wrong(
    instrument: str, risk: Any, noise: list[dict[str, Any]], envelope: dict[str, Any], copies: int
) -> None:
    if instrument == "PHQ-9" and risk == "yes":
        risk = 1  # "yes" is no PHQ-9 answer
    risk_item = "9" if instrument == "PHQ-9" else "4"
    # Noise never names the risk item, so the risk item's reading is the one given.
    answers = [a for a in noise if str(a["item"]).strip().lstrip("Qq") not in (risk_item,)]
    answers.append({"item": risk_item, "value": risk})
    body = record(instrument=instrument, answers=answers, **envelope)
    async with running(f"h{uuid.uuid4().hex[:8]}") as h:
        for _ in range(copies):
            await h.br.publish(body, topic=topics.SYMPTOMS, key=PATIENT.encode())
        raised = [rule for rule, _ in h.rules() if rule == RISK_RULES[instrument]]
        assert raised == [RISK_RULES[instrument]], (h.rules(), json.loads(body))
