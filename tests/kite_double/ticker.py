"""A Kite Connect WebSocket (KiteTicker) double on a loopback port, for driving a real ticker client.

It follows docs/kite-protocol.md §7 and the §10.2 checklist. Handshakes need ``?api_key&access_token``
valid on the REST double it shares state with (403 otherwise). A 4th simultaneous connection per api_key
gets 429. Client text messages ``{"a": "subscribe" | "unsubscribe" | "mode", "v": ...}`` are parsed, with
3000 tokens per connection. Binary frames are big-endian per §7.2, priced from the REST double's book at
the REST double's clock, so ticks and ``/quote`` agree. Idle connections get 1-byte heartbeats, and
error texts and abnormal drops can be injected.

Usage::

    ticker = KiteTickerDouble(kite=double).start()
    KiteTicker(double.api_key, access_token, root=ticker.root)

The encoders (:func:`frame_encode`, :func:`packet_encode`) are pure module functions, so the byte
layout can be checked against pykiteconnect's parser without a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from tests.kite_double.market import IST, Row
from tests.kite_double.server import KiteDouble

MODES = ("ltp", "quote", "full")
DEFAULT_MODE = "quote"  # what pykiteconnect's subscribe() records locally (§7.1)
HEARTBEAT = b"\x00"
INDEX_SEGMENT = 9  # token & 0xff of INDICES rows; pykiteconnect marks them tradable=False


# --- pure encoders ------------------------------------------------------------------------------


def paise(price: Any) -> int:
    """Kite sends prices as integer paise (every segment in the double's book divides by 100)."""
    return round(float(price) * 100)


def epoch(value: Any) -> int:
    """Epoch seconds of a Kite ``YYYY-mm-dd HH:MM:SS`` IST string, an aware datetime, or 0 for None."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST).timestamp())


def frame_encode(packets: list[bytes]) -> bytes:
    """One binary message: ``>H`` packet count, then ``>H`` length + bytes per packet (§7.2)."""
    return struct.pack(">H", len(packets)) + b"".join(struct.pack(">H", len(p)) + p for p in packets)


def is_index(row: Row) -> bool:
    return row.segment == "INDICES"


def packet_encode(row: Row, quote: dict[str, Any], mode: str, now: datetime) -> bytes:
    """One packet for ``row`` in ``mode`` from its full ``/quote`` object (as MarketBook.full_quote gives).

    Tradable packets are 8/44/184 bytes (ltp/quote/full). Index packets are 8/28/32 bytes, and their OHLC
    order is high, low, open, close. ``now`` is the exchange timestamp.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    ohlc = quote["ohlc"]
    head = struct.pack(">II", row.instrument_token, paise(quote["last_price"]))
    if mode == "ltp":
        return head
    if is_index(row):
        change = paise(quote["last_price"]) - paise(ohlc["close"])  # signed; pykiteconnect ignores it
        packet = head + struct.pack(
            ">IIIIi", paise(ohlc["high"]), paise(ohlc["low"]), paise(ohlc["open"]), paise(ohlc["close"]), change
        )
        return packet + struct.pack(">I", epoch(now)) if mode == "full" else packet
    packet = head + struct.pack(
        ">IIIIIIIII",
        int(quote["last_quantity"]),
        paise(quote["average_price"]),
        int(quote["volume"]),
        int(quote["buy_quantity"]),
        int(quote["sell_quantity"]),
        paise(ohlc["open"]),
        paise(ohlc["high"]),
        paise(ohlc["low"]),
        paise(ohlc["close"]),
    )
    if mode == "quote":
        return packet
    packet += struct.pack(
        ">IIIII",
        epoch(quote["last_trade_time"]),
        int(quote["oi"]),
        int(quote["oi_day_high"]),
        int(quote["oi_day_low"]),
        epoch(now),
    )
    depth = quote["depth"]
    for level in [*depth["buy"][:5], *depth["sell"][:5]]:
        packet += struct.pack(">IIHxx", int(level["quantity"]), paise(level["price"]), int(level["orders"]))
    return packet


# --- the server ---------------------------------------------------------------------------------


class ClientMessageError(ValueError):
    """A client text message the double cannot act on; its text goes back as ``{"type": "error"}``."""


@dataclass
class _Connection:
    ws: ServerConnection
    api_key: str
    subscribed: dict[int, str] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    last_sent: float = field(default_factory=time.monotonic)


@dataclass
class KiteTickerDouble:
    """The ticker endpoint of ``kite``: same api_key, live access tokens, market book and clock."""

    kite: KiteDouble
    interval: float = 0.2
    heartbeat_interval: float = 1.0
    max_tokens: int = 3000
    max_connections: int = 3

    handshakes: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    frames_sent: int = 0
    _connections: dict[ServerConnection, _Connection] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: Server | None = None
    _port: int = 0

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> KiteTickerDouble:
        """Serve on 127.0.0.1:<free port> from an asyncio loop in a daemon thread."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="kite-ticker-double", daemon=True)
        self._thread.start()
        self._server = self._call(self._open())
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def _open(self) -> Server:
        # No compression: frames on the wire are exactly the §7.2 bytes, and nothing to negotiate.
        return await serve(
            self._handler, "127.0.0.1", 0, process_request=self._process_request, compression=None, ping_interval=None
        )

    def stop(self) -> None:
        """Close every connection (1001) and the listening socket, then end the loop thread."""
        if self._loop is None:
            return
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()
                await server.wait_closed()

            with contextlib.suppress(TimeoutError):
                self._call(close(), timeout=5)
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop.close()
        self._loop = None

    @property
    def root(self) -> str:
        assert self._server is not None, "start() the double first"
        return f"ws://127.0.0.1:{self._port}"

    def _call(self, coro: Any, timeout: float = 5.0) -> Any:
        """Run a coroutine on the double's loop from the calling (test) thread and wait for it."""
        assert self._loop is not None, "start() the double first"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- test controls ------------------------------------------------------------------------

    def connection_count(self) -> int:
        with self._lock:
            return sum(1 for ws in self._connections if ws.state is not State.CLOSED)

    def subscriptions(self) -> dict[int, str]:
        """token -> mode over every open connection; a token in two modes reports the richer one."""
        merged: dict[int, str] = {}
        with self._lock:
            for conn in self._connections.values():
                for token, mode in conn.subscribed.items():
                    if MODES.index(mode) >= MODES.index(merged.get(token, "ltp")):
                        merged[token] = mode
        return merged

    def send_error(self, text: str) -> None:
        """What Kite sends on a server-side problem; pykiteconnect turns it into on_error(ws, 0, text)."""
        payload = json.dumps({"type": "error", "data": text})

        async def send_all() -> None:
            for conn in self._open_connections():
                with contextlib.suppress(ConnectionClosed):
                    await conn.ws.send(payload)

        self._call(send_all())

    def drop_connections(self) -> None:
        """Cut every connection's TCP stream with no close frame (code 1006), so clients must reconnect."""

        async def abort_all() -> None:
            for conn in self._open_connections():
                conn.ws.transport.abort()

        self._call(abort_all())

    def _open_connections(self) -> list[_Connection]:
        with self._lock:
            return [c for ws, c in self._connections.items() if ws.state is State.OPEN]

    # --- handshake ----------------------------------------------------------------------------

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """Kite's checks, in order: api_key, access_token, then the connection limit per api_key."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query, keep_blank_values=True).items()}
        record: dict[str, Any] = {
            "params": params,
            "headers": {k.lower(): v for k, v in request.headers.raw_items()},
            "status": 101,
        }
        api_key, access_token = params.get("api_key", ""), params.get("access_token", "")
        response: Response | None = None
        with self._lock:
            self.handshakes.append(record)
            for stale in [w for w in self._connections if w.state is State.CLOSED]:
                del self._connections[stale]  # handshakes that failed after we accepted them
            if api_key != self.kite.api_key:
                record["status"] = 403
                response = ws.respond(HTTPStatus.FORBIDDEN, "Invalid `api_key`.\n")
            elif access_token not in self.kite.live_tokens():
                record["status"] = 403
                response = ws.respond(HTTPStatus.FORBIDDEN, "Invalid `access_token`.\n")
            elif sum(1 for c in self._connections.values() if c.api_key == api_key) >= self.max_connections:
                record["status"] = 429
                response = ws.respond(HTTPStatus.TOO_MANY_REQUESTS, "Too many connections\n")
            else:
                # Reserve the slot now, not in the handler: the next handshake may run before it starts.
                self._connections[ws] = _Connection(ws=ws, api_key=api_key)
        return response

    # --- per connection -----------------------------------------------------------------------

    async def _handler(self, ws: ServerConnection) -> None:
        with self._lock:
            conn = self._connections[ws]
        streamer = asyncio.create_task(self._stream(conn))
        try:
            async for message in ws:
                if isinstance(message, str):
                    await self._on_text(conn, message)
        except ConnectionClosed:
            pass
        finally:
            streamer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streamer
            with self._lock:
                self._connections.pop(ws, None)

    async def _on_text(self, conn: _Connection, text: str) -> None:
        try:
            affected = self._apply(conn, text)
        except ClientMessageError as exc:
            await self._send_text_error(conn, str(exc))
            return
        conn.changed.set()  # restart the streaming cadence after the snapshot below
        await self._send_frame(conn, {t: conn.subscribed[t] for t in affected if t in conn.subscribed})

    def _apply(self, conn: _Connection, text: str) -> list[int]:
        """Apply one client message to ``conn``; the tokens it (re)subscribed or re-moded."""
        try:
            message = json.loads(text)
        except ValueError:
            raise ClientMessageError("Invalid message: not JSON.") from None
        if not isinstance(message, dict):
            raise ClientMessageError("Invalid message: expected an object.")
        with self._lock:
            self.messages.append(message)
        action, value = message.get("a"), message.get("v")
        if action in ("subscribe", "unsubscribe"):
            tokens = _tokens(value)
            with self._lock:
                if action == "unsubscribe":
                    for token in tokens:
                        conn.subscribed.pop(token, None)
                    return []
                if len(set(conn.subscribed) | set(tokens)) > self.max_tokens:
                    raise ClientMessageError(
                        f"Maximum of {self.max_tokens} instruments can be subscribed per connection."
                    )
                for token in tokens:  # (re)subscribing means quote, as pykiteconnect's bookkeeping assumes
                    conn.subscribed[token] = DEFAULT_MODE
            return tokens
        if action == "mode":
            if not isinstance(value, list) or len(value) != 2 or value[0] not in MODES:
                raise ClientMessageError("Invalid mode message: expected [ltp|quote|full, [tokens]].")
            mode, tokens = value[0], _tokens(value[1])
            with self._lock:
                moved = [t for t in tokens if t in conn.subscribed]  # a mode applies only to subscribed tokens
                for token in moved:
                    conn.subscribed[token] = mode
            return moved
        raise ClientMessageError(f"Invalid message: unknown action {action!r}.")

    async def _stream(self, conn: _Connection) -> None:
        """A frame of every subscribed known token each ``interval``; a heartbeat when there is none."""
        while True:
            with self._lock:
                wait = self.interval if conn.subscribed else self.heartbeat_interval
            conn.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.changed.wait(), wait)
                continue  # a subscription change just sent its own snapshot
            with self._lock:
                subscribed = dict(conn.subscribed)
            try:
                sent = await self._send_frame(conn, subscribed)
                if not sent and time.monotonic() - conn.last_sent >= self.heartbeat_interval * 0.95:
                    await conn.ws.send(HEARTBEAT)
                    conn.last_sent = time.monotonic()
            except ConnectionClosed:
                return

    async def _send_frame(self, conn: _Connection, tokens: dict[int, str]) -> bool:
        """Send one frame for the known ``tokens`` at the REST double's current clock; False if none."""
        book, now = self.kite.book, self.kite.now()
        packets = [
            packet_encode(row, book.full_quote(row, now), mode, now)
            for token, mode in tokens.items()
            if (row := book.by_token.get(token)) is not None
        ]
        if not packets:
            return False
        await conn.ws.send(frame_encode(packets))
        conn.last_sent = time.monotonic()
        with self._lock:
            self.frames_sent += 1
        return True

    async def _send_text_error(self, conn: _Connection, text: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await conn.ws.send(json.dumps({"type": "error", "data": text}))


def _tokens(value: Any) -> list[int]:
    """The instrument tokens of a message's ``v``, first occurrence order, duplicates folded."""
    if not isinstance(value, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in value):
        raise ClientMessageError("Invalid message: expected a list of integer instrument tokens.")
    return list(dict.fromkeys(value))
