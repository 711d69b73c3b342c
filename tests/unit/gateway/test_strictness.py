"""Bad input gets 400 with a reason that names the problem, never a value and never a trace."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from shared.events import InboundSmsReceived
from tests.unit.gateway.support import FORM, PUBLIC, SENDER, TEXT, harness, inbound, sign, status

LIMIT = 2048


def _signed_headers(params: dict[str, str], path: str = "/twilio/sms") -> dict[str, str]:
    return {"Content-Type": FORM, "X-Twilio-Signature": sign(PUBLIC + path, params)}


async def test_a_body_over_the_limit_is_refused_by_its_content_length() -> None:
    params = inbound(Body="x" * LIMIT)
    async with harness(max_body_bytes=LIMIT) as h:
        response = await h.post("/twilio/sms", params)
        assert h.publisher.events == []
    assert response.status_code == 400
    assert response.json() == {"error": f"body larger than {LIMIT} bytes"}


async def test_a_body_over_the_limit_is_refused_without_a_content_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"Body=" + b"x" * 500 + b"&"

    async with harness(max_body_bytes=LIMIT) as h:
        response = await h.client.post(
            "/twilio/sms", content=chunks(), headers={"Content-Type": FORM}
        )
    assert "content-length" not in response.request.headers  # sent chunked
    assert response.status_code == 400
    assert "larger than" in response.json()["error"]


async def test_a_content_length_that_understates_the_body_does_not_get_past_the_limit() -> None:
    params = inbound(Body="x" * LIMIT)
    headers = {**_signed_headers(params), "Content-Length": "100"}
    async with harness(max_body_bytes=LIMIT) as h:
        response = await h.client.post("/twilio/sms", content=urlencode(params), headers=headers)
    assert response.status_code == 400
    assert "larger than" in response.json()["error"]


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        (
            "application/json",
            json.dumps(inbound()),
            "Content-Type must be application/x-www-form-urlencoded",
        ),
        (None, urlencode(inbound()), "Content-Type must be application/x-www-form-urlencoded"),
        ("multipart/form-data; boundary=x", urlencode(inbound()), "Content-Type must be"),
        (FORM, json.dumps(inbound()), "body is not application/x-www-form-urlencoded data"),
        (FORM, "MessageSid=SM1&From", "body is not application/x-www-form-urlencoded data"),
        (FORM, "MessageSid=SM1&&From=x", "body is not application/x-www-form-urlencoded data"),
        (FORM, "=x&From=y", "form field with an empty name"),
        (FORM, "Body=%FF%FE", "body is not UTF-8 form data"),
        (FORM, "", "empty form"),
        (FORM + "; charset=iso-8859-1", urlencode(inbound()), "charset must be utf-8"),
    ],
)
async def test_a_body_that_is_not_utf8_form_data_is_refused(
    content_type: str | None, body: str, reason: str
) -> None:
    headers = {"X-Twilio-Signature": "x"} | ({"Content-Type": content_type} if content_type else {})
    async with harness() as h:
        response = await h.client.post("/twilio/sms", content=body.encode(), headers=headers)
        assert h.publisher.events == []
        assert h.count("sms", "bad_request") == 1
    assert response.status_code == 400
    assert response.json()["error"].startswith(reason)
    assert "Traceback" not in response.text


async def test_a_form_with_utf8_charset_is_accepted() -> None:
    async with harness() as h:
        response = await h.post(
            "/twilio/sms",
            inbound(Body="¿Mañana? 👍 a+b=c&d"),
            headers={"Content-Type": FORM + "; charset=UTF-8"},
        )
        assert response.status_code == 200
        event = h.publisher.events[0]
        assert isinstance(event, InboundSmsReceived)
        assert event.body == "¿Mañana? 👍 a+b=c&d"


async def test_too_many_fields_are_refused() -> None:
    params = inbound(**{f"Extra{i}": "1" for i in range(20)})
    async with harness(max_form_fields=20) as h:
        response = await h.post("/twilio/sms", params)
    assert (response.status_code, response.json()) == (400, {"error": "more than 20 form fields"})


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To", "Body"])
async def test_a_signed_inbound_sms_missing_a_required_field_is_refused(missing: str) -> None:
    params = inbound()
    del params[missing]
    async with harness() as h:
        response = await h.post("/twilio/sms", params)
        assert h.publisher.events == []
    assert (response.status_code, response.json()) == (
        400,
        {"error": f"missing form field: {missing}"},
    )


@pytest.mark.parametrize("missing", ["MessageSid", "MessageStatus"])
async def test_a_signed_status_callback_missing_a_required_field_is_refused(missing: str) -> None:
    params = status()
    del params[missing]
    async with harness() as h:
        response = await h.post("/twilio/status", params)
    assert (response.status_code, response.json()) == (
        400,
        {"error": f"missing form field: {missing}"},
    )


async def test_a_repeated_field_that_matters_is_refused() -> None:
    params = [*inbound().items(), ("From", "+12065550199")]
    async with harness() as h:
        response = await h.post("/twilio/sms", params)
        assert h.publisher.events == []
    assert (response.status_code, response.json()) == (
        400,
        {"error": "form field given more than once: From"},
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/twilio/sms", inbound(From="+1512555014"), "From"),
        ("/twilio/sms", inbound(From="5125550143"), "From"),
        ("/twilio/sms", inbound(To="whatsapp:5125550100"), "To"),
        ("/twilio/sms", inbound(To="whatsapp:12345"), "To"),
        ("/twilio/sms", inbound(From="1234"), "From"),  # too short for a short code
        ("/twilio/sms", inbound(From="1234567"), "From"),  # too long for one, no + either
        ("/twilio/sms", inbound(From="CLINICNOTICE"), "From"),  # a sender id is 11 at most
        ("/twilio/sms", inbound(From="Clinic-Info"), "From"),  # letters, digits, spaces only
        ("/twilio/sms", inbound(From=" Clinic"), "From"),
        ("/twilio/sms", inbound(From="sms:+15125550143"), "From"),
        ("/twilio/sms", inbound(MessageSid="SM123"), "MessageSid"),
        ("/twilio/sms", inbound(NumMedia="two"), "NumMedia"),
        ("/twilio/sms", inbound(NumMedia="11"), "NumMedia"),
        ("/twilio/sms", inbound(Body="y" * 1601), "Body"),
        ("/twilio/status", status("not a status!"), "MessageStatus"),
        ("/twilio/status", status(ErrorCode="3000x"), "ErrorCode"),
    ],
)
async def test_an_invalid_field_is_named_and_its_value_is_not_echoed(
    path: str, params: dict[str, str], field: str
) -> None:
    async with harness() as h:
        response = await h.post(path, params)
        assert h.publisher.events == []
    assert response.status_code == 400
    reason = response.json()["error"]
    assert reason.startswith(f"{field}: ")
    for value in (params.get(field, ""), SENDER, TEXT):
        assert value and value not in reason


async def test_an_empty_body_field_is_valid_for_a_picture_message() -> None:
    async with harness() as h:
        response = await h.post(
            "/twilio/sms", inbound(Body="", NumMedia="1", MediaUrl0="https://x.example/m")
        )
        assert response.status_code == 200
        event = h.publisher.events[0]
        assert isinstance(event, InboundSmsReceived)
        assert event.num_media == 1


async def test_other_methods_and_paths_are_not_webhooks() -> None:
    async with harness() as h:
        get = await h.client.get("/twilio/sms")
        unknown = await h.client.post("/twilio/voice", data=inbound())
    assert (get.status_code, unknown.status_code) == (405, 404)
