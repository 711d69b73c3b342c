"""Only webhooks signed by Twilio for the URL it called are published; the rest get 403."""

from __future__ import annotations

from shared.events import InboundSmsReceived, SmsStatusReceived, phone_key
from tests.unit.gateway.support import (
    OURS,
    PUBLIC,
    SENDER,
    SID,
    TEXT,
    harness,
    inbound,
    sign,
    status,
)


async def test_a_signed_inbound_sms_is_published_and_answered_with_empty_twiml() -> None:
    async with harness() as h:
        response = await h.post("/twilio/sms", inbound())
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
        [event] = h.publisher.events
    assert isinstance(event, InboundSmsReceived)
    assert (event.message_sid, event.from_phone, event.to_phone, event.body) == (
        SID,
        SENDER,
        OURS,
        TEXT,
    )
    assert event.correlation_id == SID and event.source == "gateway"
    assert event.kafka_key() == phone_key(SENDER).encode()  # a hash: the phone is never the key
    assert h.count("sms", "accepted") == 1


async def test_a_signed_status_callback_is_published() -> None:
    async with harness() as h:
        response = await h.post("/twilio/status", status("undelivered", ErrorCode="30003"))
        assert response.status_code == 200
        [event] = h.publisher.events
    assert isinstance(event, SmsStatusReceived)
    assert (event.message_sid, event.status, event.error_code) == (SID, "undelivered", 30003)


async def test_missing_wrong_and_foreign_signatures_get_403_and_publish_nothing() -> None:
    params = inbound()
    async with harness() as h:
        no_header = await h.client.post("/twilio/sms", data=params)
        wrong_token = await h.post(
            "/twilio/sms", params, signature=sign(PUBLIC + "/twilio/sms", params, "other")
        )
        internal_url = await h.post(
            "/twilio/sms", params, signed_for="http://testserver/twilio/sms"
        )
        other_path = await h.post("/twilio/sms", params, signed_for=PUBLIC + "/twilio/status")
        other_host = await h.post(
            "/twilio/sms", params, signed_for="https://evil.example/twilio/sms"
        )
        tampered = await h.post(
            "/twilio/sms",
            {**params, "Body": "STOP"},
            signature=sign(PUBLIC + "/twilio/sms", params),
        )
        extra_field = await h.post(
            "/twilio/sms",
            {**params, "Injected": "1"},
            signature=sign(PUBLIC + "/twilio/sms", params),
        )
        answers = [
            no_header,
            wrong_token,
            internal_url,
            other_path,
            other_host,
            tampered,
            extra_field,
        ]
        assert [r.status_code for r in answers] == [403] * 7
        assert h.publisher.events == []
        assert h.count("sms", "bad_signature") == 7
        assert await h.redis.keys("*") == []  # nothing claimed either
    assert no_header.json() == {"error": "invalid or missing X-Twilio-Signature"}


async def test_the_signature_is_judged_before_the_fields() -> None:
    params = inbound()
    del params["From"]
    async with harness() as h:
        response = await h.post("/twilio/sms", params, signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403


async def test_the_query_string_twilio_called_is_part_of_the_signed_url() -> None:
    async with harness() as h:
        with_query = await h.post("/twilio/sms", inbound(), query="site=tx-austin&lane=1")
        dropped = await h.post(
            "/twilio/sms",
            inbound(),
            signed_for=PUBLIC + "/twilio/sms",
            query="site=tx-austin&lane=1",
        )
    assert (with_query.status_code, dropped.status_code) == (200, 403)


async def test_a_public_base_url_with_a_path_prefix_fits_a_proxy_that_strips_it() -> None:
    base = "https://edge.clinic.example/hooks/"
    async with harness(public_base_url=base) as h:
        ok = await h.post(
            "/twilio/sms", inbound(), signed_for="https://edge.clinic.example/hooks/twilio/sms"
        )
        unprefixed = await h.post(
            "/twilio/sms", inbound(), signed_for="https://edge.clinic.example/twilio/sms"
        )
    assert (ok.status_code, unprefixed.status_code) == (200, 403)


async def test_twilios_explicit_default_port_is_accepted() -> None:
    async with harness() as h:
        response = await h.post(
            "/twilio/sms", inbound(), signed_for="https://sms.clinic.example:443/twilio/sms"
        )
    assert response.status_code == 200


async def test_without_a_public_base_url_the_arrival_url_is_used() -> None:
    async with harness(public_base_url=None) as h:
        local = await h.post("/twilio/sms", inbound(), signed_for="http://testserver/twilio/sms")
        public = await h.post("/twilio/sms", inbound(MessageSid="SM" + "f" * 32))
    assert (local.status_code, public.status_code) == (200, 403)


async def test_repeated_unknown_fields_are_all_signed_and_accepted() -> None:
    params = [*inbound().items(), ("AddOns", "a"), ("AddOns", "b")]
    async with harness() as h:
        ok = await h.post("/twilio/sms", params)
        dropped_one = await h.post(
            "/twilio/sms", params[:-1], signature=sign(PUBLIC + "/twilio/sms", params)
        )
        assert (ok.status_code, dropped_one.status_code) == (200, 403)
        assert len(h.publisher.events) == 1
