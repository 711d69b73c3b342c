"""Inbound edge cases Twilio really sends: short codes, sender ids and WhatsApp addresses, a
picture without text, SharedKey (HMAC-SHA256) signatures, and an apostrophe in the URL.

Signatures here are computed the way Twilio documents it, not with the validator the gateway
uses: HMAC over the URL as configured in Twilio followed by every posted name and value, sorted
by name; base64."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from services.gateway.rules import signature_settings, signed_url_candidates
from services.gateway.settings import GatewaySettings
from shared.events import InboundSmsReceived, phone_key
from tests.unit.gateway.support import FORM, PUBLIC, SENDER, TOKEN, Harness, harness, inbound

KEY_ID = "webhooks_sharedkey_3f1e"
SHARED_SECRET = "shared-key-secret-9d2a"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


def twilio_signature(secret: str, url: str, params: dict[str, str], digest: str = "sha1") -> str:
    """X-Twilio-Signature as Twilio computes it (one value per name here)."""
    data = url + "".join(name + params[name] for name in sorted(params))
    mac = hmac.new(secret.encode(), data.encode(), getattr(hashlib, digest))
    return base64.b64encode(mac.digest()).decode()


async def _post(
    h: Harness, target: str, params: dict[str, str], signature: str, **headers: str
) -> int:
    response = await h.client.post(
        target,
        content=urlencode(params),
        headers={"Content-Type": FORM, "X-Twilio-Signature": signature, **headers},
    )
    return int(response.status_code)


# ------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    ("sender", "ours"),
    [
        ("+15125550143", "24680"),  # a patient answering a text we sent from a short code
        ("+15125550143", "824680"),  # six-digit short code
        ("whatsapp:+15125550143", "whatsapp:+15125550100"),
        ("24680", "+15125550100"),  # a short code texting us (a carrier notice)
        ("CarrierInfo", "+15125550100"),  # an alphanumeric sender id (11 characters)
        ("AT T 611", "+15125550100"),  # sender ids may hold spaces
    ],
)
async def test_short_codes_sender_ids_and_whatsapp_addresses_are_published(
    sender: str, ours: str
) -> None:
    async with harness() as h:
        response = await h.post("/twilio/sms", inbound(From=sender, To=ours))
        assert response.status_code == 200, response.text
        [event] = h.publisher.all_of(InboundSmsReceived)
    assert (event.from_phone, event.to_phone) == (sender, ours)  # as Twilio posted them


async def test_a_whatsapp_sender_is_keyed_like_the_same_number_by_sms() -> None:
    async with harness() as h:
        await h.post("/twilio/sms", inbound(From="whatsapp:" + SENDER))
        [event] = h.publisher.all_of(InboundSmsReceived)
    assert event.sender == SENDER
    assert event.kafka_key() == phone_key(SENDER).encode()  # one partition, in order


async def test_a_picture_without_text_is_published_as_media_only() -> None:
    async with harness() as h:
        await h.post(
            "/twilio/sms",
            inbound(Body="", NumMedia="1", MediaUrl0="https://api.twilio.com/m/ME1"),
        )
        await h.post("/twilio/sms", inbound(MessageSid="MM" + "e" * 32, NumMedia="1"))
        picture, with_text = h.publisher.all_of(InboundSmsReceived)
    assert (picture.media_only, picture.num_media, picture.body) == (True, 1, "")
    assert not with_text.media_only  # a picture with words is read by its words


# ------------------------------------------------------------------ SharedKey signatures


async def test_a_sharedkey_sha256_signature_is_accepted() -> None:
    params = inbound()
    url = PUBLIC + "/twilio/sms"
    header = {SETTINGS_HEADER: f"key={KEY_ID},algorithm=HMAC_SHA256"}
    async with harness(shared_keys={KEY_ID: SHARED_SECRET}) as h:
        sha256 = twilio_signature(SHARED_SECRET, url, params, "sha256")
        assert await _post(h, "/twilio/sms", params, sha256, **header) == 200
        assert len(h.publisher.events) == 1
        assert h.count("sms", "accepted") == 1


@pytest.mark.parametrize(
    ("secret", "digest", "settings"),
    [
        # the auth token where the header names the shared key
        (TOKEN, "sha256", f"key={KEY_ID},algorithm=HMAC_SHA256"),
        # the right secret, the wrong algorithm
        (SHARED_SECRET, "sha1", f"key={KEY_ID},algorithm=HMAC_SHA256"),
        # a key id that is not configured
        (SHARED_SECRET, "sha256", "key=webhooks_sharedkey_other,algorithm=HMAC_SHA256"),
        # an algorithm the validator does not know
        (SHARED_SECRET, "sha512", f"key={KEY_ID},algorithm=HMAC_SHA512"),
        # the shared secret without the header that names it (the auth token is expected)
        (SHARED_SECRET, "sha1", ""),
    ],
)
async def test_sharedkey_signatures_that_do_not_fit_get_403(
    secret: str, digest: str, settings: str
) -> None:
    params = inbound()
    signature = twilio_signature(secret, PUBLIC + "/twilio/sms", params, digest)
    headers = {SETTINGS_HEADER: settings} if settings else {}
    async with harness(shared_keys={KEY_ID: SHARED_SECRET}) as h:
        assert await _post(h, "/twilio/sms", params, signature, **headers) == 403
        assert h.publisher.events == []


async def test_the_auth_token_signature_still_works_beside_shared_keys() -> None:
    params = inbound()
    async with harness(shared_keys={KEY_ID: SHARED_SECRET}) as h:
        sha1 = twilio_signature(TOKEN, PUBLIC + "/twilio/sms", params)
        assert await _post(h, "/twilio/sms", params, sha1) == 200


def test_the_settings_header_is_read_as_key_and_algorithm() -> None:
    assert signature_settings(None) == (None, "HMAC_SHA1")
    assert signature_settings(f"key={KEY_ID},algorithm=HMAC_SHA256") == (KEY_ID, "HMAC_SHA256")
    assert signature_settings(f" algorithm=HMAC_SHA256 , key={KEY_ID} ") == (
        KEY_ID,
        "HMAC_SHA256",
    )
    assert signature_settings("algorithm=HMAC_SHA256") == (None, "HMAC_SHA256")


# ------------------------------------------------------------------ ' and %27 in the URL


@pytest.mark.parametrize(
    ("configured", "request_line"),
    [
        # Twilio signs the URL as typed in its console; the request line may carry the other
        # form (an HTTP client or a proxy that percent-encodes, or decodes, the apostrophe).
        ("/twilio/sms?clinic=St+Mary's", "/twilio/sms?clinic=St+Mary%27s"),
        ("/twilio/sms?clinic=St+Mary%27s", "/twilio/sms?clinic=St+Mary's"),
        ("/twilio/sms?clinic=St+Mary's", "/twilio/sms?clinic=St+Mary's"),
        ("/twilio/sms?clinic=St+Mary%27s", "/twilio/sms?clinic=St+Mary%27s"),
    ],
)
async def test_an_apostrophe_validates_as_twilio_signed_it(
    configured: str, request_line: str
) -> None:
    params = inbound()
    signature = twilio_signature(TOKEN, PUBLIC + configured, params)
    async with harness() as h:
        assert await _post(h, request_line, params, signature) == 200
        assert len(h.publisher.events) == 1


async def test_only_the_apostrophe_may_differ() -> None:
    params = inbound()
    async with harness() as h:
        other = twilio_signature(TOKEN, PUBLIC + "/twilio/sms?clinic=St+Marys", params)
        encoded_space = twilio_signature(TOKEN, PUBLIC + "/twilio/sms?clinic=St%20Mary's", params)
        assert await _post(h, "/twilio/sms?clinic=St+Mary%27s", params, other) == 403
        assert await _post(h, "/twilio/sms?clinic=St+Mary%27s", params, encoded_space) == 403
        assert h.publisher.events == []


def test_the_candidate_urls_differ_only_in_the_apostrophe() -> None:
    assert signed_url_candidates("https://x.example/a?b=c") == ["https://x.example/a?b=c"]
    assert signed_url_candidates("https://x.example/o%27b?c=d%27e") == [
        "https://x.example/o%27b?c=d%27e",
        "https://x.example/o'b?c=d'e",
    ]
    assert signed_url_candidates("https://x.example/o'b?c=d%2527") == [
        "https://x.example/o'b?c=d%2527",
        "https://x.example/o%27b?c=d%2527",
    ]


def test_production_refuses_a_placeholder_shared_key_secret() -> None:
    real = {"public_base_url": "https://sms.clinic.example"}
    twilio = {"auth_token": "a-real-token-1234"}
    with pytest.raises(ValidationError, match="WEBHOOK_SHARED_KEYS"):
        GatewaySettings(
            _env_file=None,
            env="production",
            twilio=twilio,
            gateway={**real, "webhook_shared_keys": {KEY_ID: "changeme"}},
        )
    settings = GatewaySettings(
        _env_file=None,
        env="production",
        twilio=twilio,
        gateway={**real, "webhook_shared_keys": {KEY_ID: SHARED_SECRET}},
    )
    assert settings.gateway.webhook_shared_keys[KEY_ID].get_secret_value() == SHARED_SECRET
