"""FakeTwilio: the fake served by aiohttp on loopback, in a background thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .api import FakeApi
from .callbacks import Deliverer
from .opt_out import Mode, OptOutDesk
from .state import Faults, FaultState, Store

log = logging.getLogger("deploy.local.fake_twilio")

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "test-token"  # noqa: S105 (the fake's own, never a real secret)
HOST = "127.0.0.1"
START_TIMEOUT_S = 10
# Benchmarks open many connections at once; the default backlog of 128 drops some.
BACKLOG = 2048


class FakeTwilio:
    """A stateful fake of Twilio's Messages API with status callbacks and fault injection."""

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        port: int = 0,
        seed: int | None = None,
        callback_delay_ms: int = 20,
        host: str = HOST,
        opt_out_mode: Mode = "twilio_default",
    ) -> None:
        self.account_sid = account_sid
        self._opt_out = OptOutDesk(opt_out_mode)
        self.auth_token = auth_token
        self._host = host
        self._port = port
        self._store = Store()
        self._faults = FaultState(
            Faults(
                error_by_number={},
                undelivered_by_number={},
                seed=seed,
                callback_delay_ms=callback_delay_ms,
            )
        )
        self._deliverer = Deliverer(self._store, self._faults, auth_token)
        self._api = FakeApi(
            account_sid=account_sid,
            auth_token=auth_token,
            store=self._store,
            faults=self._faults,
            deliverer=self._deliverer,
            opt_out=self._opt_out,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.base_url = ""

    def start(self) -> str:
        """Serve in a background thread; return the base URL "http://127.0.0.1:PORT"."""
        if self._thread is not None:
            return self.base_url
        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._run, name="fake-twilio", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError("fake Twilio did not start in time")
        if self._failure is not None:
            self._thread = None
            raise RuntimeError("fake Twilio failed to start") from self._failure
        return self.base_url

    def stop(self) -> None:
        """Stop serving, abandon pending callbacks and join the thread."""
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(START_TIMEOUT_S)
        self._thread = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every accepted message in acceptance order (a snapshot, like GET /_fake/messages)."""
        return self._store.inspection()

    @property
    def faults(self) -> dict[str, Any]:
        """The fault knobs as they are now (like GET /_fake/faults)."""
        return self._faults.snapshot()

    def set_faults(self, **knobs: Any) -> None:
        """Set fault knobs (the same names as POST /_fake/faults); others keep their values."""
        self._faults.update(knobs)
        log.info("faults set: %s", sorted(knobs))

    @property
    def opt_out(self) -> dict[str, Any]:
        """Keyword handling: mode, texts, keywords, blocked numbers and the auto-replies sent
        (like GET /_fake/opt_out)."""
        return self._opt_out.snapshot()

    @property
    def auto_replies(self) -> list[dict[str, Any]]:
        """Twilio's own answers to STOP, START and HELP words, in order."""
        return list(self._opt_out.snapshot()["auto_replies"])

    def set_opt_out(self, **settings: Any) -> None:
        """mode="twilio_default" | "advanced", texts={"STOP": ...}, keywords={"STOP": [...]}."""
        self._opt_out.configure(settings)

    def inbound(self, from_: str, to: str, body: str, *, url: str | None) -> dict[str, Any]:
        """A text from `from_` to our number `to`: Twilio's keyword handling, then the signed
        webhook to `url` (None: not posted; `params` in the answer is its form). Call it from a
        thread other than the fake's (`await asyncio.to_thread(fake.inbound, ...)` in async
        tests); returns what happened (like POST /_fake/inbound)."""
        if self._loop is None or self._thread is None:
            raise RuntimeError("fake Twilio is not serving")
        done = asyncio.run_coroutine_threadsafe(self._api.receive(from_, to, body, url), self._loop)
        return done.result(START_TIMEOUT_S)

    def reset(self) -> None:
        """Forget every message, cancel pending callbacks, restore the default knobs."""
        if self._loop is None or self._thread is None:
            self._store.clear()  # not serving: no callbacks are pending
            self._faults.reset()
            self._opt_out.reset()
            return
        reset = asyncio.run_coroutine_threadsafe(self._api.reset_state(), self._loop)
        reset.result(START_TIMEOUT_S)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(), which re-raises it
            self._failure = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        # No access log: request lines carry phone numbers in list queries.
        # Stopping waits at most a second for requests in flight (the latency knob can hold one).
        runner = web.AppRunner(self._api.app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port, backlog=BACKLOG)
            await site.start()
            await self._deliverer.open()
            port = runner.addresses[0][1]
            # Listening on every interface (in a container) still answers on loopback.
            everywhere = self._host == "0.0.0.0"  # noqa: S104  (a comparison, not a bind)
            self.base_url = f"http://{HOST if everywhere else self._host}:{port}"
            log.info("fake Twilio listening on %s", self.base_url)
            self._ready.set()
            await self._stopping.wait()
        finally:
            # Server first, so no request in flight schedules a callback on a closed client.
            await runner.cleanup()
            await self._deliverer.close()
            log.info("fake Twilio stopped after %d messages", len(self._store.inspection()))
