"""The fake Twilio against the official twilio SDK: sends, errors, faults, paging and signed
status callbacks, plus the fake run on its own as a process."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance

from deploy.local.fake_twilio import FakeTwilio, LocalAsyncTwilioHttpClient, LocalTwilioHttpClient
from deploy.local.fake_twilio.http1 import read_response
from tests.kafka_tools import eventually

pytestmark = pytest.mark.filterwarnings(
    # The SDK's async client uses aiohttp.BasicAuth, which aiohttp 3.14 deprecates.
    "ignore:.*(BasicAuth|'auth' parameter).*:DeprecationWarning"
)

SID = "AC" + "1" * 32
TOKEN = "test-token"
SENDER = "+15005550006"
PATIENT = "+15551230001"
SERVICE = "MG" + "2" * 32
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Callback:
    """One status callback as the receiver saw it."""

    url: str
    form: dict[str, str]
    signature: str


@dataclass
class Receiver:
    """A local HTTP endpoint collecting status callbacks."""

    url: str
    calls: list[Callback] = field(default_factory=list)

    def for_sid(self, sid: str) -> list[Callback]:
        """The callbacks about one message, in arrival order."""
        return [c for c in self.calls if c.form["MessageSid"] == sid]

    def statuses(self, sid: str) -> list[str]:
        """The MessageStatus values posted for one message, in arrival order."""
        return [c.form["MessageStatus"] for c in self.for_sid(sid)]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=SID, auth_token=TOKEN, callback_delay_ms=5) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    """The SDK's sync client, pointed at the fake."""
    return Client(SID, TOKEN, http_client=LocalTwilioHttpClient(fake.base_url))


@pytest.fixture
async def aclient(fake: FakeTwilio) -> AsyncIterator[Client]:
    """The SDK's async client, pointed at the fake."""
    http = LocalAsyncTwilioHttpClient(fake.base_url)
    yield Client(SID, TOKEN, http_client=http)
    await http.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A status callback endpoint on a free loopback port."""
    calls: list[Callback] = []

    async def collect(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        calls.append(Callback(str(request.url), form, request.headers["X-Twilio-Signature"]))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/status", collect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Receiver(url=f"http://127.0.0.1:{port}/status?clinic=c1", calls=calls)
    await runner.cleanup()


def _send(client: Client, to: str = PATIENT, **kwargs: Any) -> MessageInstance:
    return client.messages.create(to=to, from_=SENDER, body="Time for your evening dose", **kwargs)


def _twilio_error(call: Callable[[], object]) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value


def test_a_send_returns_an_sm_sid_and_is_recorded(fake: FakeTwilio, client: Client) -> None:
    message = _send(client)

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.account_sid, message.to) == ("queued", SID, PATIENT)
    assert message.num_segments == "1"
    assert abs(message.date_created - datetime.now(UTC)) < timedelta(minutes=1)
    seen = httpx.get(f"{fake.base_url}/_fake/messages").json()
    assert [m["sid"] for m in seen] == [message.sid]
    assert seen[0]["body"] == "Time for your evening dose"
    assert seen[0]["from"] == SENDER
    assert fake.messages == seen


def test_a_messaging_service_send_is_accepted(client: Client) -> None:
    message = client.messages.create(to=PATIENT, messaging_service_sid=SERVICE, body="Hello")

    assert message.status == "accepted"
    assert message.messaging_service_sid == SERVICE


def test_a_wrong_auth_token_is_refused_with_20003(fake: FakeTwilio) -> None:
    intruder = Client(SID, "wrong", http_client=LocalTwilioHttpClient(fake.base_url))

    error = _twilio_error(lambda: _send(intruder))

    assert (error.status, error.code) == (401, 20003)
    assert fake.messages == []


@pytest.mark.parametrize(
    ("to", "body", "sender", "code"),
    [
        ("", "hi", SENDER, 21604),
        ("5551230001", "hi", SENDER, 21211),
        (PATIENT, "x" * 1601, SENDER, 21617),
        (PATIENT, "hi", None, 21603),
        ("+15005550001", "hi", SENDER, 21211),
        ("+15005550004", "hi", SENDER, 21610),
        ("+15005550009", "hi", SENDER, 21614),
    ],
)
def test_invalid_requests_and_magic_numbers_fail_like_twilio(
    fake: FakeTwilio, client: Client, to: str, body: str, sender: str | None, code: int
) -> None:
    sender_args = {"from_": sender} if sender else {}

    error = _twilio_error(lambda: client.messages.create(to=to, body=body, **sender_args))

    assert (error.status, error.code) == (400, code)
    assert fake.messages == []


def test_error_by_number_makes_that_number_fail(fake: FakeTwilio, client: Client) -> None:
    fake.set_faults(error_by_number={PATIENT: 21610, "+15551230002": 20429})

    opted_out = _twilio_error(lambda: _send(client))
    throttled = _twilio_error(lambda: _send(client, to="+15551230002"))
    other = _send(client, to="+15551230003")

    assert (opted_out.status, opted_out.code) == (400, 21610)
    assert (throttled.status, throttled.code) == (429, 20429)
    assert [m["sid"] for m in fake.messages] == [other.sid]


def test_burst_429_refuses_then_accepts(fake: FakeTwilio, client: Client) -> None:
    fake.set_faults(burst_429=2)

    refusals = [_twilio_error(lambda: _send(client)) for _ in range(2)]
    message = _send(client)

    assert [(e.status, e.code) for e in refusals] == [(429, 20429)] * 2
    assert [m["sid"] for m in fake.messages] == [message.sid]


def test_a_500_after_record_still_sends_the_message(fake: FakeTwilio, client: Client) -> None:
    fake.set_faults(fail_5xx_after_record=1)

    error = _twilio_error(lambda: _send(client))
    listed = client.messages.list(to=PATIENT)

    assert (error.status, error.code) == (500, 20500)
    assert len(listed) == 1
    assert listed[0].body == "Time for your evening dose"


def test_a_500_before_record_sends_nothing(fake: FakeTwilio, client: Client) -> None:
    fake.set_faults(fail_5xx_before_record=1)

    error = _twilio_error(lambda: _send(client))

    assert (error.status, error.code) == (500, 20500)
    assert client.messages.list(to=PATIENT) == []
    assert _send(client).status == "queued"


def test_rate_5xx_is_reproducible_with_a_seed(fake: FakeTwilio, client: Client) -> None:
    def outcomes() -> list[bool]:
        fake.reset()
        fake.set_faults(seed=7, rate_5xx=0.5)
        results = []
        for _ in range(16):
            try:
                _send(client)
                results.append(True)
            except TwilioRestException:
                results.append(False)
        return results

    first = outcomes()

    assert first == outcomes()
    assert True in first and False in first


def test_latency_delays_every_api_response(fake: FakeTwilio, client: Client) -> None:
    fake.set_faults(latency_ms=300)

    started = time.monotonic()
    _send(client)

    assert time.monotonic() - started >= 0.3


async def test_async_client_sends_lists_and_fetches(aclient: Client) -> None:
    sent = [
        await aclient.messages.create_async(to=PATIENT, from_=SENDER, body=f"reminder {i}")
        for i in range(7)
    ]
    await aclient.messages.create_async(to="+15551230009", from_=SENDER, body="someone else")
    today = datetime.now(UTC).date()

    paged = await aclient.messages.list_async(to=PATIENT, page_size=3)
    on_day = await aclient.messages.list_async(to=PATIENT, date_sent=today)
    after = await aclient.messages.list_async(date_sent_after=today - timedelta(days=1))
    before = await aclient.messages.list_async(date_sent_before=today - timedelta(days=1))
    fetched = await aclient.messages(sent[0].sid).fetch_async()

    assert [m.sid for m in paged] == [m.sid for m in reversed(sent)]  # newest first
    assert len(on_day) == 7
    assert len(after) == 8
    assert before == []
    assert (fetched.sid, fetched.body) == (sent[0].sid, "reminder 0")


async def test_fetching_an_unknown_sid_is_20404(aclient: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        await aclient.messages("SM" + "f" * 32).fetch_async()

    assert (caught.value.status, caught.value.code) == (404, 20404)


async def test_status_callbacks_arrive_signed_in_order(aclient: Client, receiver: Receiver) -> None:
    message = await aclient.messages.create_async(
        to=PATIENT, from_=SENDER, body="Dose at 8", status_callback=receiver.url
    )

    await eventually(
        lambda: len(receiver.for_sid(message.sid)) == 2,
        timeout=10,
        message="sent and delivered callbacks",
    )
    assert receiver.statuses(message.sid) == ["sent", "delivered"]
    validator = RequestValidator(TOKEN)
    for call in receiver.for_sid(message.sid):
        assert validator.validate(call.url, call.form, call.signature)
        assert call.form["SmsSid"] == message.sid
        assert call.form["SmsStatus"] == call.form["MessageStatus"]
        assert (call.form["AccountSid"], call.form["ApiVersion"]) == (SID, "2010-04-01")
        assert (call.form["From"], call.form["To"]) == (SENDER, PATIENT)
        assert "ErrorCode" not in call.form
    delivered = receiver.for_sid(message.sid)[1].form
    assert re.fullmatch(r"\d{10}", delivered["RawDlrDoneDate"])
    assert (await aclient.messages(message.sid).fetch_async()).status == "delivered"


async def test_undelivered_by_number_ends_with_its_error_code(
    fake: FakeTwilio, aclient: Client, receiver: Receiver
) -> None:
    fake.set_faults(undelivered_by_number={PATIENT: 30003})

    message = await aclient.messages.create_async(
        to=PATIENT, from_=SENDER, body="Dose at 8", status_callback=receiver.url
    )

    await eventually(
        lambda: len(receiver.for_sid(message.sid)) == 2,
        timeout=10,
        message="sent and undelivered callbacks",
    )
    assert receiver.statuses(message.sid) == ["sent", "undelivered"]
    assert receiver.for_sid(message.sid)[1].form["ErrorCode"] == "30003"
    fetched = await aclient.messages(message.sid).fetch_async()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


async def test_dropped_callbacks_still_advance_the_status(
    fake: FakeTwilio, aclient: Client, receiver: Receiver
) -> None:
    fake.set_faults(drop_callbacks_rate=1.0)
    dropped = await aclient.messages.create_async(
        to=PATIENT, from_=SENDER, body="Dose at 8", status_callback=receiver.url
    )

    async def final_status() -> bool:
        return (await aclient.messages(dropped.sid).fetch_async()).status == "delivered"

    await eventually(final_status, timeout=10, message="status delivered without callbacks")
    # A later message whose callbacks do arrive shows the dropped ones are not merely late.
    fake.set_faults(drop_callbacks_rate=0.0)
    witness = await aclient.messages.create_async(
        to=PATIENT, from_=SENDER, body="Dose at 9", status_callback=receiver.url
    )
    await eventually(
        lambda: len(receiver.for_sid(witness.sid)) == 2, timeout=10, message="witness callbacks"
    )
    assert receiver.for_sid(dropped.sid) == []


async def test_control_endpoints_set_faults_and_reset(fake: FakeTwilio, client: Client) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        set_ok = await http.post("/_fake/faults", json={"error_by_number": {PATIENT: 21610}})
        unknown = await http.post("/_fake/faults", json={"burst": 3})
        bad_rate = await http.post("/_fake/faults", json={"rate_5xx": 2})
        await asyncio.to_thread(lambda: _twilio_error(lambda: _send(client)))
        other = await asyncio.to_thread(_send, client, "+15551230003")
        before_reset = (await http.get("/_fake/messages")).json()
        reset = await http.post("/_fake/reset")
        after_reset = (await http.get("/_fake/messages")).json()
        faults = (await http.get("/_fake/faults")).json()

    assert set_ok.status_code == 200
    assert set_ok.json()["error_by_number"] == {PATIENT: 21610}
    assert (unknown.status_code, bad_rate.status_code) == (400, 400)
    assert [m["sid"] for m in before_reset] == [other.sid]
    assert set(before_reset[0]) >= {
        "sid",
        "to",
        "from",
        "messaging_service_sid",
        "body",
        "status",
        "error_code",
        "status_callback",
        "accepted_at",
    }
    assert reset.status_code == 200
    assert after_reset == []
    assert faults["error_by_number"] == {}


async def test_logs_carry_no_numbers_or_bodies(
    fake: FakeTwilio, aclient: Client, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="deploy.local.fake_twilio")
    fake.set_faults(undelivered_by_number={PATIENT: 30005}, error_by_number={"+15551230002": 21610})
    message = await aclient.messages.create_async(
        to=PATIENT, from_=SENDER, body="Lithium 300mg", status_callback=receiver.url
    )
    with pytest.raises(TwilioRestException):
        await aclient.messages.create_async(to="+15551230002", from_=SENDER, body="Lithium")
    await eventually(
        lambda: len(receiver.for_sid(message.sid)) == 2, timeout=10, message="callbacks"
    )
    fake.reset()

    fake_lines = [r.getMessage() for r in caplog.records if r.name == "deploy.local.fake_twilio"]
    assert any(message.sid in line for line in fake_lines)
    for secret in (PATIENT, "+15551230002", SENDER, "Lithium"):
        assert not any(secret in line for line in fake_lines), secret


def test_the_fake_runs_on_its_own_as_a_process() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deploy.local.fake_twilio",
            "--port",
            str(port),
            "--auth-token",
            TOKEN,
            "--account-sid",
            SID,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_answering(base_url, process)
        client = Client(SID, TOKEN, http_client=LocalTwilioHttpClient(base_url))
        message = _send(client)
        assert [m["sid"] for m in httpx.get(f"{base_url}/_fake/messages").json()] == [message.sid]
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert process.returncode == 0, output
    assert PATIENT not in output


def _wait_until_answering(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the fake exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/_fake/messages", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.05)
    raise AssertionError("the fake did not answer within 20s")


@pytest.mark.parametrize(
    ("raw", "status", "keep_alive"),
    [
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, True),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 200, True),
        (b"HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 500, False),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the end", 200, False),
    ],
)
async def test_the_callback_client_reads_each_response_to_its_end(
    raw: bytes, status: int, keep_alive: bool
) -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(raw + b"NEXT")
    if b"until the end" in raw:
        reader.feed_eof()

    assert await read_response(reader) == (status, keep_alive)
    if keep_alive:
        assert await reader.read(4) == b"NEXT"
