"""Twilio SDK HTTP clients that send every api.twilio.com request to the fake instead."""

from __future__ import annotations

import re
from typing import Any

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]+\.twilio\.com")


class LocalTwilioHttpClient(TwilioHttpClient):
    """The SDK's requests-based client, pointed at base_url."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request to the fake rather than to Twilio."""
        return super().request(method, TWILIO_HOST.sub(self.base_url, url), *args, **kwargs)


class LocalAsyncTwilioHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp-based client, pointed at base_url (create it inside a running loop)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request to the fake rather than to Twilio."""
        return await super().request(method, TWILIO_HOST.sub(self.base_url, url), *args, **kwargs)
