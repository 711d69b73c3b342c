"""Twilio's keyword handling for inbound texts: STOP, START and HELP.

Two account modes, as real Twilio has them:

* `twilio_default` (a fresh account, the fake's default): a text that is exactly one of Twilio's
  keywords (any case, spaces around it trimmed) is answered by Twilio with its standard text; a
  STOP word blocks the number, so every later create to it fails with 21610 until the number
  texts START, UNSTOP or YES. The webhook still gets the text, without `OptOutType`.
* `advanced` (Advanced Opt-Out on a Messaging Service): the same keywords (or the ones set with
  `keywords`) are answered with the account's own texts (`texts`, per language), and the webhook
  carries `OptOutType` = STOP, START or HELP.

Any other text ("stop please", "STOP REMINDERS", RESUME) Twilio only forwards: no reply, no block.
Auto-replies are recorded apart from the messages created through the API, so tests count them;
so are the creates refused with 21610 because of a block.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Mode = Literal["twilio_default", "advanced"]
MODES: tuple[Mode, ...] = ("twilio_default", "advanced")
KeywordType = Literal["STOP", "START", "HELP"]
TYPES: tuple[KeywordType, ...] = ("STOP", "START", "HELP")

DEFAULT_KEYWORDS: dict[KeywordType, tuple[str, ...]] = {
    "STOP": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
    "START": ("START", "UNSTOP", "YES"),
    "HELP": ("HELP", "INFO"),
}
"""Twilio's default keywords; YES counts only from a number Twilio blocks."""

STANDARD_TEXTS: dict[KeywordType, str] = {
    "STOP": "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe.",
    "START": "You have successfully been re-subscribed to messages from this number. Reply HELP "
    "for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "HELP": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}
"""Twilio's own replies with the default handling."""

ACCOUNT_TEXTS: dict[KeywordType, str] = {
    "STOP": "[account opt-out text]",
    "START": "[account opt-in text]",
    "HELP": "[account help text]",
}
"""Advanced Opt-Out's replies until a test sets the account's texts."""


@dataclass(frozen=True)
class Outcome:
    """What Twilio made of one inbound text."""

    keyword: KeywordType | None
    reply: str | None


@dataclass
class _Desk:
    mode: Mode
    keywords: dict[KeywordType, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_KEYWORDS)
    )
    texts: dict[KeywordType, str] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    auto_replies: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


class OptOutDesk:
    """The account's keyword handling, its blocked numbers and the auto-replies it sent."""

    def __init__(self, mode: Mode = "twilio_default") -> None:
        check_mode(mode)
        self._lock = threading.Lock()
        self._default_mode: Mode = mode
        self._desk = _Desk(mode=mode)

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Set `mode`, `texts` ({"STOP": ...}) and `keywords` ({"STOP": [...]}); ValueError
        names the first bad one. The blocked numbers stay blocked."""
        unknown = set(settings) - {"mode", "texts", "keywords"}
        if unknown:
            raise ValueError(f"unknown opt-out settings: {sorted(unknown)}")
        texts = _typed(settings.get("texts", {}), "texts", str)
        keywords = _typed(settings.get("keywords", {}), "keywords", list)
        with self._lock:
            if "mode" in settings:
                self._desk.mode = check_mode(settings["mode"])
            self._desk.texts.update(texts)
            for kind, words in keywords.items():
                self._desk.keywords[kind] = tuple(str(w).upper() for w in words)

    def reset(self) -> None:
        """Back to the start-up mode, nobody blocked, no auto-reply recorded."""
        with self._lock:
            self._desk = _Desk(mode=self._default_mode)

    @property
    def mode(self) -> Mode:
        return self._desk.mode

    def blocked(self, to: str) -> bool:
        """Whether the number texted a STOP word and no START word since (21610)."""
        with self._lock:
            return to in self._desk.blocked

    def refuse(self, to: str) -> bool:
        """Whether a create to this number must fail with 21610; each refusal is recorded."""
        with self._lock:
            if to not in self._desk.blocked:
                return False
            self._desk.refused.append({"to": to, "at": datetime.now(UTC).isoformat()})
            return True

    def receive(self, from_: str, to: str, body: str) -> Outcome:
        """Apply Twilio's keyword handling to a text from `from_` to our number `to`."""
        word = body.strip().upper()
        with self._lock:
            desk = self._desk
            keyword = next((k for k in TYPES if word in desk.keywords[k]), None)
            if keyword == "START" and word == "YES" and from_ not in desk.blocked:
                keyword = None  # YES from a subscribed number is an answer, not an opt-in
            if keyword is None:
                return Outcome(None, None)
            if keyword == "STOP":
                desk.blocked.add(from_)
            elif keyword == "START":
                desk.blocked.discard(from_)
            if desk.mode == "advanced":
                reply = desk.texts.get(keyword, ACCOUNT_TEXTS[keyword])
            else:
                reply = STANDARD_TEXTS[keyword]
            desk.auto_replies.append(
                {
                    "to": from_,
                    "from": to,
                    "keyword": keyword,
                    "body": reply,
                    "at": datetime.now(UTC).isoformat(),
                }
            )
            return Outcome(keyword, reply)

    def snapshot(self) -> dict[str, Any]:
        """Mode, texts, keywords, blocked numbers and auto-replies, JSON-ready."""
        with self._lock:
            desk = self._desk
            return {
                "mode": desk.mode,
                "texts": {
                    k: desk.texts.get(k, ACCOUNT_TEXTS[k])
                    if desk.mode == "advanced"
                    else STANDARD_TEXTS[k]
                    for k in TYPES
                },
                "keywords": {k: list(v) for k, v in desk.keywords.items()},
                "blocked": sorted(desk.blocked),
                "auto_replies": [dict(r) for r in desk.auto_replies],
                "refused": [dict(r) for r in desk.refused],
            }


def check_mode(mode: Any) -> Mode:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}")
    return mode


def _typed(value: Any, name: str, kind: type) -> dict[KeywordType, Any]:
    if not isinstance(value, Mapping) or not all(
        k in TYPES and isinstance(v, kind) for k, v in value.items()
    ):
        raise ValueError(f"{name} must map STOP, START or HELP to a {kind.__name__}")
    return dict(value)
