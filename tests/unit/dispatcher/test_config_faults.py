"""Twilio refusing our configuration (credentials, account, sender): nothing is failed or charged
to the patient's number, the send is held and retried, an operator is warned once, a page tries
the site's second sender."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.dispatcher.settings import DispatcherSettings
from shared.events import (
    ClinicianRegistered,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
    OperationalWarning,
)
from shared.sites import demo_sites
from tests.unit.dispatcher.conftest import NOON, PHONE, Harness, make_settings, request

HOUSTON = "+17135550100"
HOUSTON_FALLBACK = "+17135550101"
CLINICIAN_PHONE = "+15125550188"
RETRY = {"config_retry_base_seconds": 10.0, "config_retry_max_seconds": 40.0}


@pytest.fixture
def settings() -> DispatcherSettings:
    """Short hold back-off; Houston has a second sender for pages."""
    sites = demo_sites()
    sites["houston"] = sites["houston"].model_copy(
        update={"fallback_from_number": HOUSTON_FALLBACK}
    )
    base = make_settings(**RETRY)
    return DispatcherSettings(
        kafka=base.kafka.model_dump(),
        redis=base.redis.model_dump(),
        dispatcher=base.dispatcher.model_dump(),
        sites=sites,
    )


def refused(status: int, code: int, times: int = 100) -> list[tuple[str, int | None, int | None]]:
    return [("before", status, code)] * times


def warnings(h: Harness) -> list[OperationalWarning]:
    return h.events(OperationalWarning)


async def wait_out_holds(h: Harness, rounds: int = 6) -> None:
    """Let every held send come round again (the back-off is at most 40 s)."""
    for _ in range(rounds):
        h.clock.advance(41)
        await h.fire_timers()


def page(**overrides: Any) -> Any:
    return request(
        notification_id=uuid4(),
        priority="urgent",
        recipient={"kind": "clinician", "id": "c-1"},
        category="clinician_page",
        template_id="clinician_page",
        variables={"code": "4821", "severity": "P0"},
        patient_chosen_time=False,
        reply_context={"kind": "page", "ref": "4821", "extra": {"alert_id": "al-1"}},
        **overrides,
    )


async def register_clinician(h: Harness) -> None:
    await h.publish(
        ClinicianRegistered(
            clinician_id="c-1", phone=CLINICIAN_PHONE, display_name="Dr. Lee", sites=["houston"]
        )
    )


async def test_a_rotated_token_holds_every_send_until_it_is_fixed(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail = refused(401, 20003)
    reqs = [request() for _ in range(3)]
    for req in reqs:
        await harness.publish(req)
    assert harness.sms.sent == []
    assert harness.events(NotificationFailed) == [] and harness.events(NotificationSuppressed) == []
    await wait_out_holds(harness, rounds=2)  # still refused: held again, not failed
    assert harness.sms.sent == [] and harness.events(NotificationFailed) == []
    harness.sms.fail = []  # the new token is deployed
    await wait_out_holds(harness)
    sent = harness.events(NotificationSent)
    assert sorted(str(e.notification_id) for e in sent) == sorted(
        str(r.notification_id) for r in reqs
    )
    assert len(harness.sms.sent) == 3
    [warning] = warnings(harness)
    assert warning.warning == "twilio_configuration" and "20003" in warning.detail
    assert PHONE not in warning.detail


async def test_a_held_send_that_expires_is_suppressed_never_sent(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail = refused(404, 20404)
    await harness.publish(request(expires_at=NOON + timedelta(seconds=15)))
    harness.clock.advance(16)
    await harness.fire_timers()
    harness.sms.fail = []
    await wait_out_holds(harness)
    assert harness.sms.sent == []
    assert [e.reason for e in harness.events(NotificationSuppressed)] == ["expired"]
    assert harness.events(NotificationFailed) == []


async def test_21612_fails_the_send_but_not_the_patients_number(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail = refused(400, 21612, times=1)
    await harness.publish(request())
    [failed] = harness.events(NotificationFailed)
    assert failed.error_code == 21612 and not failed.permanent  # a page's ladder re-pages
    await harness.publish(request())  # the number was not marked invalid
    assert len(harness.sms.sent) == 1 and harness.events(NotificationSuppressed) == []
    [warning] = warnings(harness)
    assert "21612" in warning.detail and "+15125550100" in warning.detail


async def test_a_page_goes_out_through_the_sites_second_sender(harness: Harness) -> None:
    await register_clinician(harness)
    harness.sms.fail = refused(400, 21606, times=1)
    await harness.publish(page())
    [sms] = harness.sms.sent
    assert sms["from"] == HOUSTON_FALLBACK and sms["to"] == CLINICIAN_PHONE
    assert len(harness.events(NotificationSent)) == 1
    [warning] = warnings(harness)  # the site's own sender still needs fixing
    assert HOUSTON in warning.detail and "21606" in warning.detail


async def test_a_page_is_held_when_both_senders_are_refused(harness: Harness) -> None:
    await register_clinician(harness)
    harness.sms.fail = refused(400, 21606, times=2)
    await harness.publish(page())
    assert harness.sms.sent == [] and harness.events(NotificationFailed) == []
    assert len(warnings(harness)) == 2  # one per sender
    await wait_out_holds(harness, rounds=1)
    [sms] = harness.sms.sent
    assert sms["from"] == HOUSTON


async def test_a_refused_token_is_not_worked_around_by_another_sender(harness: Harness) -> None:
    await register_clinician(harness)
    harness.sms.fail = refused(401, 20003, times=1)
    await harness.publish(page())
    assert harness.sms.sent == [] and harness.sms.fail == []  # one call: no fallback try
    await wait_out_holds(harness, rounds=1)
    [sms] = harness.sms.sent
    assert sms["from"] == HOUSTON
    assert len(harness.events(NotificationSent)) == 1 and len(warnings(harness)) == 1


async def test_a_held_request_delivered_again_is_still_one_sms(harness: Harness) -> None:
    await harness.enroll()
    harness.sms.fail = refused(401, 20003, times=1)
    req = request()
    await harness.publish(req)
    await harness.publish(req)  # the broker redelivers it while it is held
    await wait_out_holds(harness)
    assert len(harness.sms.sent) == 1
    assert {e.event_id for e in harness.events(NotificationSent)} == {
        harness.events(NotificationSent)[0].event_id
    }
