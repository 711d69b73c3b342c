"""Strict reading of a webhook's form body: size limit first, then content type, then parsing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from urllib.parse import parse_qsl

FORM_TYPE = "application/x-www-form-urlencoded"


class BadRequest(Exception):
    """Input refused with 400; the message is the reason given to the caller (never a value)."""


async def read_body(
    chunks: AsyncIterator[bytes], *, content_length: str | None, max_bytes: int
) -> bytes:
    """The whole body, refused as soon as it is known to exceed `max_bytes`."""
    if content_length is not None:
        if not content_length.isdigit():
            raise BadRequest("Content-Length is not a number")
        if int(content_length) > max_bytes:
            raise BadRequest(f"body larger than {max_bytes} bytes")
    body = bytearray()
    # Count what actually arrives: a chunked body has no Content-Length to believe.
    async for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise BadRequest(f"body larger than {max_bytes} bytes")
    return bytes(body)


def check_content_type(header: str | None) -> None:
    """Only form-encoded bodies in UTF-8 (or with no charset, which means the same here)."""
    media, *params = (header or "").split(";")
    if media.strip().lower() != FORM_TYPE:
        raise BadRequest(f"Content-Type must be {FORM_TYPE}")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise BadRequest("charset must be utf-8")


class Form:
    """Parsed form fields in arrival order; keeps repeated keys (they are all signed)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.pairs = list(pairs)
        self._values: dict[str, list[str]] = {}
        for key, value in self.pairs:
            self._values.setdefault(key, []).append(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def getall(self, key: str) -> list[str]:
        """Every value of a key (twilio's RequestValidator signs all of them)."""
        return list(self._values.get(key, ()))

    def fields(self, *, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, str]:
        """The single value of each field the gateway reads; refuses missing or repeated ones."""
        missing = [key for key in required if key not in self._values]
        if missing:
            raise BadRequest("missing form field: " + ", ".join(missing))
        repeated = [key for key in (*required, *optional) if len(self._values.get(key, ())) > 1]
        if repeated:
            raise BadRequest("form field given more than once: " + ", ".join(repeated))
        return {key: self._values[key][0] for key in (*required, *optional) if key in self._values}


def parse_form(body: bytes, *, content_type: str | None, max_fields: int) -> Form:
    """Parse `application/x-www-form-urlencoded` strictly: every field `name=value`, UTF-8."""
    check_content_type(content_type)
    if body.count(b"&") + 1 > max_fields:
        raise BadRequest(f"more than {max_fields} form fields")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8 form data") from None
    except ValueError:
        # parse_qsl's message quotes the offending field; the reason given must not.
        raise BadRequest(f"body is not {FORM_TYPE} data (name=value pairs joined by &)") from None
    if not pairs:
        raise BadRequest("empty form")
    if any(not key for key, _ in pairs):
        raise BadRequest("form field with an empty name")
    return Form(pairs)
