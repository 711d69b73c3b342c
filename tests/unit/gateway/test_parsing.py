"""Whatever Twilio signs survives urlencoding and the gateway's strict parsing unchanged."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from services.gateway.forms import BadRequest, parse_form, read_body
from services.gateway.rules import public_url
from tests.unit.gateway.support import FORM, TOKEN, sign

names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)
values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
pairs = st.lists(st.tuples(names, values), min_size=1, max_size=15)


@given(pairs)
def test_a_signed_form_parses_back_to_what_was_signed(fields: list[tuple[str, str]]) -> None:
    url = "https://sms.clinic.example/twilio/sms?site=tx"
    form = parse_form(urlencode(fields).encode(), content_type=FORM, max_fields=100)
    assert form.pairs == fields
    assert RequestValidator(TOKEN).validate(url, form, sign(url, fields))


@given(st.dictionaries(names, values, min_size=1, max_size=15), st.integers(min_value=0), values)
def test_changing_any_value_breaks_the_signature(
    fields: dict[str, str], index: int, replacement: str
) -> None:
    url = "https://sms.clinic.example/twilio/sms"
    key = sorted(fields)[index % len(fields)]
    if replacement == fields[key]:
        return
    tampered = {**fields, key: replacement}
    form = parse_form(urlencode(tampered).encode(), content_type=FORM, max_fields=100)
    assert not RequestValidator(TOKEN).validate(url, form, sign(url, fields))


def test_the_public_url_keeps_path_and_query_exactly_as_received() -> None:
    base = "https://edge.clinic.example/hooks/"
    assert public_url(base, "/twilio/sms", "") == "https://edge.clinic.example/hooks/twilio/sms"
    assert public_url(base, "/twilio/sms%2Fx", "a=1&b=%20") == (
        "https://edge.clinic.example/hooks/twilio/sms%2Fx?a=1&b=%20"
    )


@pytest.mark.parametrize("length", ["12x", "-1", ""])
async def test_a_content_length_that_is_not_a_number_is_refused(length: str) -> None:
    async def nothing():  # pragma: no cover - never iterated
        yield b""

    with pytest.raises(BadRequest, match="Content-Length is not a number"):
        await read_body(nothing(), content_length=length, max_bytes=100)
