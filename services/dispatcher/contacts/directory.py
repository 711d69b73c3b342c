"""The contact directory, the SMS opt-out ledger and the conversation context, on Redis.

Keys (under `<namespace>:dispatcher`): `contact:<kind>:<id>` (JSON), `owners:<phone_key>` (who
uses a number), `optout:<phone_key>`, `invalid:<phone_key>`, `ctx:<phone_key>` (recent prompts).
Phone numbers appear only inside values, never in key names.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from services.dispatcher.rules.replies import Prompt
from shared.events import phone_key

MAX_PROMPTS = 10


@dataclass(frozen=True)
class Contact:
    """A patient, caregiver or clinician as the dispatcher needs them."""

    kind: str
    id: str
    phone: str
    language: str = "en"
    zone: str | None = None
    site_id: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    programs: tuple[str, ...] = ()
    discharged: bool = False
    patients: tuple[str, ...] = ()
    """For a caregiver: the patients they were linked to."""

    @property
    def phone_key(self) -> str:
        return phone_key(self.phone)


@dataclass(frozen=True)
class OptOut:
    """A number that texted STOP (or that Twilio reported unsubscribed)."""

    evidence: str
    at: str
    confirmation_pending: bool = False
    carrier: bool = False
    """Twilio blocks the number too (it texted one of Twilio's STOP words, or a send got
    21610): nothing can reach it until it texts START, UNSTOP or YES."""


@dataclass
class Directory:
    redis: Redis
    prefix: str
    context_ttl: timedelta = field(default=timedelta(hours=72))

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # contacts -------------------------------------------------------------------------------
    async def get(self, kind: str, id_: str) -> Contact | None:
        return self.contact_of(await self.redis.get(self._key("contact", kind, id_)))

    def queue_get(self, pipe: Pipeline, kind: str, id_: str) -> None:
        """Queue get() on a caller's pipeline; `contact_of(result)` reads it."""
        pipe.get(self._key("contact", kind, id_))

    @staticmethod
    def contact_of(raw: Any) -> Contact | None:
        if raw is None:
            return None
        data = json.loads(raw)
        data["programs"] = tuple(data.get("programs", ()))
        data["patients"] = tuple(data.get("patients", ()))
        return Contact(**data)

    async def put(self, contact: Contact, *, index: bool = True) -> None:
        """Store a contact and move the number index if the phone changed (`index=False`: a
        stand-in for an unknown number, never listed as the number's owner)."""
        old = await self.get(contact.kind, contact.id)
        member = f"{contact.kind}:{contact.id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            if old is not None and old.phone != contact.phone:
                pipe.srem(self._key("owners", old.phone_key), member)
            pipe.set(self._key("contact", contact.kind, contact.id), json.dumps(asdict(contact)))
            if index:
                pipe.sadd(self._key("owners", contact.phone_key), member)
            await pipe.execute()

    async def update(self, kind: str, id_: str, **changes: Any) -> Contact | None:
        """Change some fields of a known contact (None: unknown, nothing written)."""
        current = await self.get(kind, id_)
        if current is None:
            return None
        updated = replace(current, **changes)
        await self.put(updated)
        return updated

    async def remove(self, kind: str, id_: str) -> None:
        current = await self.get(kind, id_)
        if current is None:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.srem(self._key("owners", current.phone_key), f"{kind}:{id_}")
            pipe.delete(self._key("contact", kind, id_))
            await pipe.execute()

    async def owners(self, key: str) -> list[tuple[str, str]]:
        """Who uses a number: (kind, id) pairs, patients first."""
        members = sorted(
            m.decode() if isinstance(m, bytes) else m
            for m in await self.redis.smembers(self._key("owners", key))
        )
        order = {"patient": 0, "caregiver": 1, "clinician": 2}
        pairs = [tuple(m.split(":", 1)) for m in members]
        return sorted(((k, i) for k, i in pairs), key=lambda p: (order.get(p[0], 9), p[1]))

    # opt-out ledger (per number) --------------------------------------------------------------
    async def opt_out_state(self, key: str) -> OptOut | None:
        raw = await self.redis.get(self._key("optout", key))
        return OptOut(**json.loads(raw)) if raw else None

    def queue_number_state(self, pipe: Pipeline, key: str) -> None:
        """Queue, on a caller's pipeline, the two reads `number_state_of` turns into the
        number's opt-out record and invalid mark (one round trip with the caller's reads)."""
        pipe.get(self._key("optout", key))
        pipe.exists(self._key("invalid", key))

    @staticmethod
    def number_state_of(optout: Any, invalid: Any) -> tuple[OptOut | None, bool]:
        return (OptOut(**json.loads(optout)) if optout else None), bool(invalid)

    async def opt_out(
        self, key: str, *, evidence: str, at: datetime, confirm: bool, carrier: bool = False
    ) -> OptOut:
        """Record an opt-out unless one is already recorded; returns the recorded one (an
        earlier one keeps its evidence; `carrier` marks it blocked at Twilio as well)."""
        record = OptOut(
            evidence=evidence, at=at.isoformat(), confirmation_pending=confirm, carrier=carrier
        )
        if await self.redis.set(self._key("optout", key), json.dumps(asdict(record)), nx=True):
            return record
        state = await self.opt_out_state(key) or record
        if carrier and not state.carrier:
            # Twilio blocks it now: a pending confirmation could not reach it any more.
            state = replace(state, carrier=True, confirmation_pending=False)
            await self.redis.set(self._key("optout", key), json.dumps(asdict(state)))
        return state

    async def confirmation_sent(self, key: str, pipe: Pipeline) -> None:
        """Queue, in the send's transaction: the single opt-out confirmation went out."""
        # Rewritten with the evidence kept: a redelivered STOP then sees "already confirmed".
        state = await self.opt_out_state(key)
        if state is not None:
            pipe.set(
                self._key("optout", key),
                json.dumps(asdict(replace(state, confirmation_pending=False))),
            )

    async def opt_in(self, key: str, *, evidence: str) -> bool:
        """Clear an opt-out (START). True if this text is what cleared one: now, or earlier
        (a redelivery of the same START, so its announcement can be repeated)."""
        marker = self._key("optin", key)
        if await self.redis.delete(self._key("optout", key)):
            await self.redis.set(marker, evidence, ex=7 * 24 * 3600)
            return True
        previous = await self.redis.get(marker)
        return (
            previous is not None
            and (previous.decode() if isinstance(previous, bytes) else previous) == evidence
        )

    async def mark_invalid(self, key: str, code: int) -> None:
        await self.redis.set(self._key("invalid", key), str(code))

    async def is_invalid(self, key: str) -> bool:
        return bool(await self.redis.exists(self._key("invalid", key)))

    async def clear_invalid(self, key: str) -> None:
        await self.redis.delete(self._key("invalid", key))

    # conversation context (per number) --------------------------------------------------------
    def remember(self, pipe: Pipeline, key: str, prompt: Prompt) -> None:
        """Queue a prompt the number may answer (newest first, bounded, expiring)."""
        data = {**asdict(prompt), "sent_at": prompt.sent_at.isoformat()}
        ctx = self._key("ctx", key)
        pipe.lpush(ctx, json.dumps(data))
        pipe.ltrim(ctx, 0, MAX_PROMPTS - 1)
        pipe.expire(ctx, int(self.context_ttl.total_seconds()))

    async def prompts(self, key: str, now: datetime) -> list[Prompt]:
        """Prompts sent to the number within the context TTL, most recent first."""
        out = []
        for raw in await self.redis.lrange(self._key("ctx", key), 0, MAX_PROMPTS - 1):
            data = json.loads(raw)
            data["sent_at"] = datetime.fromisoformat(data["sent_at"])
            prompt = Prompt(**data)
            if now - prompt.sent_at <= self.context_ttl:
                out.append(prompt)
        return sorted(out, key=lambda p: p.sent_at, reverse=True)
