"""The SMS adapter: the SmsSender protocol and TwilioSms, on the official Twilio SDK (the
in-memory FakeSms of the demo and the tests is demo/fake_sms.py)."""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

_TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]+\.twilio\.com")


@dataclass(frozen=True)
class Outbound:
    """One SMS to create."""

    to: str
    body: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    status_callback: str | None = None

    def same_message(self, found: Found) -> bool:
        """The listed message is this one: same number, body and sender."""
        if found.to != self.to or found.body != self.body:
            return False
        if self.messaging_service_sid:
            return found.messaging_service_sid == self.messaging_service_sid
        return found.from_number == self.from_number


@dataclass(frozen=True)
class Accepted:
    sid: str
    status: str
    segments: int = 1


@dataclass(frozen=True)
class Found:
    """A message Twilio has for a number, as the list endpoint shows it."""

    sid: str
    to: str
    body: str
    from_number: str | None
    messaging_service_sid: str | None
    created: datetime | None


@dataclass(frozen=True)
class Status:
    """A message's current status at Twilio, as the fetch endpoint shows it."""

    sid: str
    status: str
    error_code: int | None = None


class SendFailed(Exception):
    """Twilio refused the request, or gave no answer (http_status None: timeout, network)."""

    def __init__(self, *, http_status: int | None, code: int | None) -> None:
        super().__init__(f"twilio http={http_status} code={code}")
        self.http_status = http_status
        self.code = code


class SmsSender(Protocol):
    """What the dispatcher needs from an SMS provider."""

    async def send(self, message: Outbound) -> Accepted: ...

    async def find(self, message: Outbound, *, since: datetime) -> list[Found]: ...

    async def fetch(self, sid: str) -> Status | None:
        """The message's current status; None if Twilio has no such message."""
        ...


class _RedirectingHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client, sending api.twilio.com requests to base_url (the fake), with
    the credentials in a header (aiohttp deprecates the BasicAuth object the SDK passes)."""

    def __init__(self, base_url: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None

    async def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's signature)
        allow_redirects: bool = False,
    ) -> Response:
        if self.base_url:
            url = _TWILIO_HOST.sub(self.base_url, url)
        headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        assert self.session is not None
        async with self.session.request(
            method.upper(),
            url,
            params=params,
            data=data,
            headers=headers,
            allow_redirects=allow_redirects,
            timeout=aiohttp.ClientTimeout(total=timeout) if timeout else None,
        ) as response:
            return Response(response.status, await response.text(), response.headers)


class TwilioSms:
    """SmsSender on the official twilio SDK's async client; every call is time-bounded."""

    def __init__(
        self, *, account_sid: str, auth_token: str, base_url: str | None, timeout_seconds: float
    ) -> None:
        self._sid, self._token, self._base_url = account_sid, auth_token, base_url
        self.timeout = timeout_seconds
        self._http: _RedirectingHttpClient | None = None
        self._client: Client | None = None

    async def start(self) -> None:
        """Open the HTTP session (inside the running loop)."""
        self._http = _RedirectingHttpClient(self._base_url)
        self._client = Client(self._sid, self._token, http_client=self._http)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("TwilioSms.start() was not awaited")
        return self._client

    async def send(self, message: Outbound) -> Accepted:
        kwargs: dict[str, Any] = {"to": message.to, "body": message.body}
        if message.messaging_service_sid:
            kwargs["messaging_service_sid"] = message.messaging_service_sid
        else:
            kwargs["from_"] = message.from_number
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        created = await self._call(self.client.messages.create_async(**kwargs))
        raw_segments = str(created.num_segments or "1")
        segments = int(raw_segments) if raw_segments.isdigit() else 1
        return Accepted(sid=created.sid, status=str(created.status), segments=segments)

    async def find(self, message: Outbound, *, since: datetime) -> list[Found]:
        """Messages to the number since `since` (by DateSent, and the newest few as a backstop
        for messages still queued, which have no date sent yet)."""
        by_date = await self._call(
            self.client.messages.list_async(
                to=message.to,
                date_sent_after=since - timedelta(minutes=5),
                page_size=100,
                limit=200,
            )
        )
        newest = await self._call(
            self.client.messages.list_async(to=message.to, page_size=20, limit=20)
        )
        seen: dict[str, Found] = {}
        for m in [*by_date, *newest]:
            found = Found(
                sid=m.sid,
                to=m.to,
                body=m.body or "",
                from_number=m.from_,
                messaging_service_sid=m.messaging_service_sid,
                created=m.date_created,
            )
            seen[found.sid] = found
        return list(seen.values())

    async def fetch(self, sid: str) -> Status | None:
        """GET Messages/{sid}.json: where a message is now (for status reconciliation)."""
        try:
            found = await self._call(self.client.messages(sid).fetch_async())
        except SendFailed as exc:
            if exc.http_status == 404:
                return None
            raise
        code = found.error_code
        return Status(
            sid=found.sid,
            status=str(found.status),
            error_code=int(code) if code is not None and str(code).isdigit() else None,
        )

    async def _call(self, call: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except TwilioException as exc:
            raise SendFailed(
                http_status=getattr(exc, "status", None), code=getattr(exc, "code", None)
            ) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise SendFailed(http_status=None, code=None) from exc
