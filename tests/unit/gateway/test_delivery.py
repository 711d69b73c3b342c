"""Twilio's retries publish once; a webhook is published or refused with 503, never lost."""

from __future__ import annotations

import asyncio
import json
import logging

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from shared.events import SmsStatusReceived
from shared.logging import JsonFormatter
from tests.unit.gateway.support import OURS, SENDER, SID, TEXT, harness, inbound, status


async def test_an_inbound_sms_posted_three_times_is_published_once() -> None:
    async with harness() as h:
        answers = [await h.post("/twilio/sms", inbound()) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert len({a.text for a in answers}) == 1
        assert len(h.publisher.events) == 1
        assert (h.count("sms", "accepted"), h.count("sms", "duplicate")) == (1, 2)


async def test_status_callbacks_are_deduplicated_by_sid_and_status() -> None:
    async with harness() as h:
        for name in ("sent", "sent", "delivered", "delivered", "sent"):
            assert (await h.post("/twilio/status", status(name))).status_code == 200
        assert [e.status for e in h.publisher.all_of(SmsStatusReceived)] == ["sent", "delivered"]


async def test_a_retry_carries_the_same_event_id_as_the_original() -> None:
    async with harness() as h:
        await h.post("/twilio/sms", inbound())
    async with harness() as other:  # a fresh dedupe store: the retry is published again
        await other.post("/twilio/sms", inbound())
    assert h.publisher.events[0].event_id == other.publisher.events[0].event_id


async def test_while_kafka_is_unavailable_webhooks_get_503_and_a_retry_publishes_them() -> None:
    async with harness() as h:
        h.probe.kafka_ready = False
        refused = await h.post("/twilio/sms", inbound())
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert refused.json() == {"error": "Kafka unavailable"}
        assert h.publisher.events == []
        h.probe.kafka_ready = True
        assert (await h.post("/twilio/sms", inbound())).status_code == 200
        assert len(h.publisher.events) == 1
        assert h.count("sms", "unavailable") == 1


async def test_a_failed_publish_is_refused_and_its_retry_is_published() -> None:
    async with harness() as h:
        h.publisher.fail = True
        assert (await h.post("/twilio/sms", inbound())).status_code == 503
        h.publisher.fail = False
        assert (await h.post("/twilio/sms", inbound())).status_code == 200
        assert (await h.post("/twilio/sms", inbound())).status_code == 200
        assert len(h.publisher.events) == 1


async def test_a_publish_that_outlives_the_request_lands_once_and_settles_the_retry() -> None:
    async with harness(publish_timeout_seconds=0.2) as h:
        h.publisher.hold = asyncio.Event()
        slow = await h.post("/twilio/sms", inbound())
        assert slow.status_code == 503  # Twilio will retry
        retry_while_pending = await h.post("/twilio/sms", inbound())
        assert retry_while_pending.status_code == 503  # not a second publish
        h.publisher.hold.set()
        await h.gateway.drain(within=5)  # the late publish lands and settles its claim
        assert len(h.publisher.events) == 1
        retry_after = await h.post("/twilio/sms", inbound())
        assert retry_after.status_code == 200
        assert len(h.publisher.events) == 1


async def test_without_redis_webhooks_get_503() -> None:
    unreachable = Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), retries=0))
    async with harness(redis=unreachable) as h:
        h.probe.redis_ready = False
        refused_at_once = await h.post("/twilio/sms", inbound())
        h.probe.redis_ready = True  # the check has not noticed yet: the claim itself fails
        refused_on_error = await h.post("/twilio/sms", inbound())
        assert h.publisher.events == []
    for response in (refused_at_once, refused_on_error):
        assert response.status_code == 503
        assert response.json() == {"error": "dedupe store unavailable"}


async def test_an_unexpected_error_is_a_plain_500_without_a_trace() -> None:
    class BrokenClock:
        def now(self) -> None:
            raise RuntimeError("clock exploded at /srv/secret/path.py line 3")

    async with harness() as h:
        h.gateway.clock = BrokenClock()  # type: ignore[assignment]
        response = await h.post("/twilio/sms", inbound())
        assert h.count("sms", "error") == 1
    assert (response.status_code, response.json()) == (500, {"error": "internal error"})


async def test_no_log_line_carries_a_phone_number_or_the_message_even_unredacted(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with harness() as h:
        await h.post("/twilio/sms", inbound())
        await h.post("/twilio/sms", inbound())
        await h.post("/twilio/status", status("failed", ErrorCode="30006"))
        await h.post("/twilio/sms", inbound(From="+1512"))
    formatter = JsonFormatter(redact=False)
    lines = [formatter.format(r) for r in caplog.records if r.name.startswith("mtm")]
    text = "\n".join(lines)
    assert SID in text
    for secret in (SENDER, SENDER[1:], OURS, TEXT, "+1512"):
        assert secret not in text
    answered = [json.loads(line) for line in lines if '"webhook answered"' in line]
    assert [a["outcome"] for a in answered] == ["accepted", "duplicate", "accepted", "bad_request"]
    assert answered[2]["message_status"] == "failed"
