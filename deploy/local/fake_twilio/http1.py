"""A minimal HTTP/1.1 keep-alive client for the fake's status callbacks.

Callbacks are the fake's hot path (two per message); aiohttp's client spends several times more
CPU per request than this, which capped a benchmark at about a thousand messages a second.
It speaks plain http only; FakeTwilio uses aiohttp for https callback URLs.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Http1Client:
    """POSTs bytes over pooled keep-alive connections; at most `limit` requests at a time."""

    def __init__(self, *, limit: int, timeout: float) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._timeout = timeout
        self._idle: dict[tuple[str, int], list[Connection]] = {}

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """Send one POST; return the response status."""
        parts = urlsplit(url)
        address = (parts.hostname or "127.0.0.1", parts.port or 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]  # never send URL credentials as the Host
        lines = [f"POST {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        # The timeout starts once a slot is free: waiting for one is not the receiver's fault.
        async with self._slots:
            async with asyncio.timeout(self._timeout):
                idle = self._idle.setdefault(address, [])
                if idle:
                    try:
                        return await self._exchange(address, idle.pop(), request)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        pass  # the receiver closed an idle connection: retry on a fresh one
                fresh = await asyncio.open_connection(*address)
                return await self._exchange(address, fresh, request)

    async def close(self) -> None:
        """Close every idle connection."""
        for pool in self._idle.values():
            for _, writer in pool:
                writer.close()
        self._idle.clear()

    async def _exchange(self, address: tuple[str, int], conn: Connection, request: bytes) -> int:
        reader, writer = conn
        try:
            writer.write(request)
            status, keep_alive = await read_response(reader)
        except BaseException:
            writer.close()
            raise
        if keep_alive:
            self._idle[address].append(conn)
        else:
            writer.close()
        return status


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response to the end; its status and whether the connection can be reused."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, status = head[0].split(" ", 2)[:2]
    headers = {}
    for line in head[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
    keep_alive = version == "HTTP/1.1" and headers.get("connection") != "close"
    if status in ("204", "304"):
        pass
    elif "chunked" in headers.get("transfer-encoding", ""):
        await _skip_chunks(reader)
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()  # no length given: the body ends when the connection does
        keep_alive = False
    return int(status), keep_alive


async def _skip_chunks(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return
        await reader.readexactly(size + 2)
