"""The HTTP face of the fake: Twilio's Messages API plus the /_fake control endpoints."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from aiohttp import BasicAuth, web
from multidict import MultiMapping

from .callbacks import Deliverer
from .model import API_VERSION, Message, TwilioError, new_sid, sync_error, to_api, validate
from .opt_out import OptOutDesk
from .state import FaultState, Query, Store, parse_date

log = logging.getLogger("deploy.local.fake_twilio")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeApi:
    """Request handlers over one account's store, faults and deliverer."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        store: Store,
        faults: FaultState,
        deliverer: Deliverer,
        opt_out: OptOutDesk | None = None,
    ) -> None:
        self.opt_out = opt_out or OptOutDesk()
        self.account_sid = account_sid
        self._auth_token = auth_token
        self._store = store
        self._faults = faults
        self._deliverer = deliverer

    def app(self) -> web.Application:
        """The aiohttp application with every route."""
        app = web.Application(middlewares=[twilio_errors])
        messages = f"/{API_VERSION}/Accounts/{{account}}/Messages"
        app.router.add_post(messages + ".json", self.create_message)
        app.router.add_get(messages + ".json", self.list_messages)
        app.router.add_get(messages + "/{sid}.json", self.fetch_message)
        app.router.add_get("/_fake/messages", self.inspect)
        app.router.add_get("/_fake/count", self.count)
        app.router.add_get("/_fake/faults", self.show_faults)
        app.router.add_post("/_fake/faults", self.set_faults)
        app.router.add_post("/_fake/reset", self.reset)
        app.router.add_post("/_fake/inbound", self.inbound)
        app.router.add_get("/_fake/opt_out", self.show_opt_out)
        app.router.add_post("/_fake/opt_out", self.set_opt_out)
        return app

    async def create_message(self, request: web.Request) -> web.Response:
        """POST Messages.json: faults first, then validation, then record and schedule."""
        await self._enter(request)
        posted = await request.post()
        form = {key: str(value) for key, value in posted.items()}
        if self._faults.take("burst_429"):
            raise TwilioError(20429, 429)
        if self._faults.take("fail_5xx_before_record") or self._faults.chance("rate_5xx"):
            raise TwilioError(20500, 500)
        validate(form)
        code = self._faults.sender_error_for(form) or self._faults.sync_error_for(form["To"])
        if not code and self.opt_out.refuse(form["To"]):
            code = 21610  # the number texted STOP and has not texted START since
        if code:
            raise sync_error(code)
        media = len(posted.getall("MediaUrl", []))
        message = self._store.add(lambda seq: self._new_message(seq, form, media))
        # Rendered before any await, so no status change can sneak into the create response.
        body = to_api(message)
        self._deliverer.schedule(message)
        log.debug("accepted %s", message.sid)
        if self._faults.take("fail_5xx_after_record"):
            raise TwilioError(20500, 500)
        return web.json_response(body, status=201)

    async def list_messages(self, request: web.Request) -> web.Response:
        """GET Messages.json: filtered by To, From and DateSent, newest first, paged."""
        await self._enter(request)
        q = request.query
        query = Query(
            to=q.get("To"),
            from_=q.get("From"),
            sent_on=_date(q, "DateSent"),
            sent_before=_date(q, "DateSent<"),
            sent_after=_date(q, "DateSent>"),
        )
        size = min(_int(q, "PageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        page = _int(q, "Page", 0)
        after = q.get("PageToken", "").removeprefix("PA") or None
        found, more = self._store.page(self.account_sid, query, size=size, after=after)
        return web.json_response(self._page_body(q, found, page=page, size=size, more=more))

    async def fetch_message(self, request: web.Request) -> web.Response:
        """GET Messages/{Sid}.json."""
        await self._enter(request)
        found = self._store.fetch(self.account_sid, request.match_info["sid"])
        if found is None:
            raise TwilioError(20404, 404)
        return web.json_response(found)

    async def inspect(self, request: web.Request) -> web.Response:
        """GET /_fake/messages: everything accepted, in acceptance order."""
        return web.json_response(self._store.inspection())

    async def count(self, request: web.Request) -> web.Response:
        """GET /_fake/count: how many messages were accepted, without listing them."""
        return web.json_response({"messages": self._store.count()})

    async def show_faults(self, request: web.Request) -> web.Response:
        """GET /_fake/faults: the knobs as they are now."""
        return web.json_response(self._faults.snapshot())

    async def set_faults(self, request: web.Request) -> web.Response:
        """POST /_fake/faults: set the knobs named in the JSON object."""
        try:
            knobs = await request.json()
            if not isinstance(knobs, dict):
                raise ValueError("expected a JSON object of fault knobs")
            self._faults.update(knobs)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return web.json_response({"error": str(exc)}, status=400)
        log.info("faults set: %s", sorted(knobs))
        return web.json_response(self._faults.snapshot())

    async def reset(self, request: web.Request) -> web.Response:
        """POST /_fake/reset: forget messages, cancel callbacks, restore default knobs."""
        await self.reset_state()
        return web.json_response({"reset": True})

    async def inbound(self, request: web.Request) -> web.Response:
        """POST /_fake/inbound {"from", "to", "body", "url"}: a text from a phone to our number.
        Twilio's keyword handling runs first (auto-reply, block or unblock), then the signed
        webhook goes to `url`, with OptOutType in advanced mode."""
        try:
            data = await request.json()
            if not isinstance(data, dict) or not all(
                isinstance(data.get(k), str) for k in ("from", "to", "body", "url")
            ):
                raise ValueError("expected a JSON object with from, to, body and url strings")
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(
            await self.receive(data["from"], data["to"], data["body"], data["url"])
        )

    async def receive(self, from_: str, to: str, body: str, url: str | None) -> dict[str, object]:
        """Handle one inbound text (inside the server's event loop); what happened to it, with
        the webhook's form (`params`). No `url`: the webhook is not posted."""
        outcome = self.opt_out.receive(from_, to, body)
        sid = new_sid()
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }
        if outcome.keyword is not None and self.opt_out.mode == "advanced":
            params["OptOutType"] = outcome.keyword
        status = await self._deliverer.post_inbound(url, params) if url else None
        log.info("inbound %s: keyword %s, webhook HTTP %s", sid, outcome.keyword, status)
        return {
            "message_sid": sid,
            "keyword": outcome.keyword,
            "opt_out_type": params.get("OptOutType"),
            "auto_reply": outcome.reply,
            "webhook_status": status,
            "params": params,
        }

    async def show_opt_out(self, request: web.Request) -> web.Response:
        """GET /_fake/opt_out: mode, texts, keywords, blocked numbers, auto-replies."""
        return web.json_response(self.opt_out.snapshot())

    async def set_opt_out(self, request: web.Request) -> web.Response:
        """POST /_fake/opt_out {"mode", "texts", "keywords"}: the account's keyword handling."""
        try:
            settings = await request.json()
            if not isinstance(settings, dict):
                raise ValueError("expected a JSON object")
            self.opt_out.configure(settings)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.opt_out.snapshot())

    async def reset_state(self) -> None:
        """Reset from inside the server's event loop."""
        dropped = len(self._store.inspection())
        await self._deliverer.cancel_all()
        self._store.clear()
        self._faults.reset()
        self.opt_out.reset()
        log.info("reset: %d messages dropped", dropped)

    async def _enter(self, request: web.Request) -> None:
        """What every API call goes through: the latency knob, then auth, then the account."""
        latency = self._faults.current.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        faults = self._faults.current
        if faults.reject_auth or not self._authorized(request.headers.get("Authorization", "")):
            raise TwilioError(20003, 401)
        if faults.reject_account or request.match_info["account"] != self.account_sid:
            raise TwilioError(20404, 404)

    def _authorized(self, header: str) -> bool:
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            return False
        return hmac.compare_digest(auth.login, self.account_sid) and hmac.compare_digest(
            auth.password, self._auth_token
        )

    def _new_message(self, seq: int, form: dict[str, str], media: int) -> Message:
        now = datetime.now(UTC)
        service = form.get("MessagingServiceSid") or None
        return Message(
            seq=seq,
            sid=new_sid(),
            account_sid=self.account_sid,
            to=form["To"],
            from_=form.get("From") or None,
            messaging_service_sid=service,
            body=form.get("Body", ""),
            status="accepted" if service else "queued",
            status_callback=form.get("StatusCallback") or None,
            num_media=media,
            created=now,
            updated=now,
            outcome=self._faults.outcome_for(form["To"]),
        )

    def _page_body(
        self,
        q: MultiMapping[str],
        found: list[dict[str, object]],
        *,
        page: int,
        size: int,
        more: bool,
    ) -> dict[str, object]:
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        filters = {k: v for k, v in q.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(page: int, **extra: str) -> str:
            return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': page, **extra})}"

        # The token names the last sid shown, so later pages stay stable while messages arrive.
        next_uri = uri(page + 1, PageToken="PA" + str(found[-1]["sid"])) if more else None
        return {
            "messages": found,
            "page": page,
            "page_size": size,
            "start": page * size,
            "end": page * size + max(len(found) - 1, 0),
            "uri": uri(page),
            "first_page_uri": uri(0),
            "next_page_uri": next_uri,
            "previous_page_uri": None,
        }


@web.middleware
async def twilio_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a legacy Twilio error body."""
    try:
        return await handler(request)
    except TwilioError as err:
        return _error(err)
    except web.HTTPNotFound:
        return _error(TwilioError(20404, 404))
    except web.HTTPMethodNotAllowed:
        return _error(TwilioError(20004, 405))


def _error(err: TwilioError) -> web.Response:
    return web.json_response(err.body(), status=err.status)


def _date(q: MultiMapping[str], name: str) -> date | datetime | None:
    value = q.get(name)
    return parse_date(value, name) if value else None


def _int(q: MultiMapping[str], name: str, default: int) -> int:
    value = q.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise TwilioError(20001, 400, f"Invalid {name}")
    return max(int(value), 1) if name == "PageSize" else int(value)
