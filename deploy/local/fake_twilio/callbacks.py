"""Status callbacks: each accepted message moves to sent, then delivered or undelivered."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

from .http1 import Http1Client
from .model import Message
from .state import FaultState, Store

log = logging.getLogger("deploy.local.fake_twilio")

CALLBACK_TIMEOUT_S = 5
# Enough parallel callbacks for a benchmark, few enough not to flood the receiver.
MAX_PARALLEL_CALLBACKS = 100
# What a misbehaving or absent receiver can raise; none of it may stop the message's life.
CALLBACK_ERRORS = (OSError, EOFError, ValueError, asyncio.LimitOverrunError, aiohttp.ClientError)


class Deliverer:
    """Advances message statuses after a delay and posts signed callbacks, in order."""

    def __init__(self, store: Store, faults: FaultState, auth_token: str) -> None:
        self._store = store
        self._faults = faults
        self._validator = RequestValidator(auth_token)
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: Http1Client | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._failed = 0
        self._last_warning = 0.0

    async def open(self) -> None:
        """Create the HTTP clients (inside the server's event loop)."""
        self._closed = False
        self._http = Http1Client(limit=MAX_PARALLEL_CALLBACKS, timeout=CALLBACK_TIMEOUT_S)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_S),
            connector=aiohttp.TCPConnector(limit=MAX_PARALLEL_CALLBACKS),
        )

    async def close(self) -> None:
        """Abandon pending deliveries and close the clients."""
        self._closed = True
        await self.cancel_all()
        if self._http is not None:
            await self._http.close()
        if self._session is not None:
            await self._session.close()

    def schedule(self, message: Message) -> None:
        """Start the life of a just-accepted message."""
        if self._closed:
            return
        final = "undelivered" if message.outcome else "delivered"
        task = asyncio.create_task(self._run(message.sid, message.status_callback, final))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel_all(self) -> None:
        """Stop every pending delivery (on reset and stop)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, sid: str, url: str | None, final: str) -> None:
        for status in ("sent", final):
            await asyncio.sleep(self._faults.current.callback_delay_ms / 1000)
            # The stored status advances even when the callback is dropped or fails, so a
            # later fetch shows where the message really is.
            params = self._store.advance(sid, status, datetime.now(UTC))
            if params is None:
                return
            if url and not self._faults.chance("drop_callbacks_rate"):
                await self._post(url, params)

    async def _post(self, url: str, params: dict[str, str]) -> None:
        assert self._http is not None and self._session is not None
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self._validator.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        body = urlencode(params).encode()
        try:
            if url.startswith("http://"):
                status = await self._http.post(url, body, headers)
            else:
                async with self._session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
        except CALLBACK_ERRORS as exc:
            self._report_failure(params["MessageSid"], type(exc).__name__)
            return
        if status >= 400:
            # Like Twilio's debugger (error 11200): noted, not retried.
            self._report_failure(params["MessageSid"], f"HTTP {status}")

    async def post_inbound(self, url: str, params: dict[str, str]) -> int:
        """POST an inbound-message webhook, signed as Twilio signs it; the HTTP status (0 when
        the receiver could not be reached)."""
        assert self._session is not None
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self._validator.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        try:
            async with self._session.post(
                url, data=urlencode(params).encode(), headers=headers
            ) as response:
                await response.read()
                return response.status
        except CALLBACK_ERRORS as exc:
            log.warning(
                "inbound webhook for %s failed (%s)", params["MessageSid"], type(exc).__name__
            )
            return 0

    def _report_failure(self, sid: str, reason: str) -> None:
        # At most one line a second: a dead receiver in a benchmark would flood the log.
        self._failed += 1
        now = time.monotonic()
        if now - self._last_warning >= 1:
            self._last_warning = now
            log.warning(
                "status callback for %s failed (%s); %d failed so far", sid, reason, self._failed
            )
