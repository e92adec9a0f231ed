"""The live tick stream: pykiteconnect's KiteTicker connections, in ``full`` mode, feeding a TickBook.

KiteTicker runs on Twisted's reactor: one per process, never restartable, and not thread-safe. So the
reactor runs in one daemon thread for the life of the process (``kite_ticker`` is its own process, never
the web or Celery workers), every call into a KiteTicker is handed to that thread with
``reactor.callFromThread``, and the callbacks (which run on it) only touch the thread-safe TickBook and a
queue of events that the main thread turns into log lines and ErrorEvents. No database access happens
on the reactor thread, so a slow query can never hold up Kite's ping/pong and drop the connection.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kiteconnect import KiteTicker
from twisted.internet import reactor as _twisted_reactor

from apps.brokers.kite.shards import CONNECTIONS_PER_KEY, TOKENS_PER_CONNECTION, ShardPlan, shards_plan
from apps.brokers.kite.ticks import TickBook

logger = logging.getLogger(__name__)

reactor: Any = _twisted_reactor  # Twisted installs its reactor as a module attribute; its stubs do not fit it

_reactor_thread: threading.Thread | None = None
_reactor_lock = threading.Lock()


def reactor_start() -> None:
    """Run Twisted's reactor in a daemon thread, once per process (it cannot be restarted)."""
    global _reactor_thread
    with _reactor_lock:
        if _reactor_thread is None:
            _reactor_thread = threading.Thread(
                target=reactor.run,
                kwargs={"installSignalHandlers": False},
                name="twisted-reactor",
                daemon=True,
            )
            _reactor_thread.start()


def reactor_stop(timeout: float = 5.0) -> None:
    """Stop the reactor at process exit (after this no KiteTicker can run in this process)."""
    if _reactor_thread is not None and _reactor_thread.is_alive():
        reactor.callFromThread(reactor.stop)
        _reactor_thread.join(timeout)


@dataclass(frozen=True)
class StreamEvent:
    """Something the main thread should log or record: ``kind`` is connected, closed, error, token_rejected,
    gave_up or kite_error (a text error message from Kite)."""

    kind: str
    connection: int
    message: str


class TickStream:
    """Up to three KiteTicker connections (Kite's limit per API key), 3000 tokens each, all in full mode."""

    def __init__(
        self,
        *,
        api_key: str,
        access_token: str,
        root: str,
        book: TickBook,
        per_connection: int = TOKENS_PER_CONNECTION,
        max_connections: int = CONNECTIONS_PER_KEY,
        ticker_factory: Callable[..., KiteTicker] = KiteTicker,
    ):
        self.api_key = api_key
        self.access_token = access_token
        self.root = root
        self.book = book
        self.per_connection = per_connection
        self.max_connections = max_connections
        self._factory = ticker_factory
        self._tickers: list[KiteTicker] = []
        self._shards: list[set[int]] = []
        self._connected: list[bool] = []
        self._ever_connected = False
        self._lock = threading.Lock()
        self.events: queue.SimpleQueue[StreamEvent] = queue.SimpleQueue()
        self.closed = False
        reactor_start()

    # --- called from the main thread ---------------------------------------------------------

    def subscribe_to(self, wanted: Sequence[int]) -> ShardPlan:
        """Make the stream carry exactly ``wanted`` (most important first), opening connections as needed."""
        with self._lock:
            plan = shards_plan(
                self._shards, wanted, per_connection=self.per_connection, max_connections=self.max_connections
            )
            self._shards = [set(s) for s in plan.shards]
        for index in range(len(plan.added)):
            added, removed = sorted(plan.added[index]), sorted(plan.removed[index])
            if added or removed:
                reactor.callFromThread(self._apply, index, added, removed)
            if removed:
                self.book.discard(removed)
        return plan

    def status(self) -> tuple[bool, str]:
        """Ready when at least one connection is open (tokens of a closed one are simply missing)."""
        with self._lock:
            total, up = len(self._connected), sum(self._connected)
        if self.closed:
            return False, "the tick stream is closed"
        if total == 0:
            return False, "the tick stream has no connection yet"
        if up == 0 and not self._ever_connected:
            return False, f"the tick stream is connecting ({total} connection(s))"
        if up == 0:
            return False, f"the tick stream is disconnected (0 of {total} connections open)"
        ticking = len(self.book)
        if ticking == 0:
            return False, f"{up} of {total} tick connections open; no ticks yet"
        return True, f"{up} of {total} tick connections open, {ticking} instruments ticking"

    def tokens(self) -> set[int]:
        with self._lock:
            return set().union(*self._shards) if self._shards else set()

    def close(self) -> None:
        """Close every connection for good (no reconnect)."""
        self.closed = True
        for ticker in list(self._tickers):
            reactor.callFromThread(ticker.close, 1000, "optrading: stopping")
        self.book.clear()

    # --- run on the reactor thread -----------------------------------------------------------

    def _apply(self, index: int, added: list[int], removed: list[int]) -> None:
        if self.closed:
            return
        while len(self._tickers) <= index:
            self._open(len(self._tickers))
        ticker = self._tickers[index]
        if ticker.is_connected():
            try:
                if removed:
                    ticker.unsubscribe(removed)
                if added:
                    ticker.subscribe(added)
                    ticker.set_mode(ticker.MODE_FULL, added)
                return
            except Exception as exc:  # the socket died under us: pykiteconnect closes it and reconnects
                self.events.put(StreamEvent("error", index, f"subscribe failed: {exc}"))
        # Not open (yet, or reconnecting): pykiteconnect resubscribes ``subscribed_tokens`` with their modes
        # after a reconnect, and on_connect subscribes them after the first connect.
        for token in removed:
            ticker.subscribed_tokens.pop(token, None)
        for token in added:
            ticker.subscribed_tokens[token] = ticker.MODE_FULL

    def _open(self, index: int) -> None:
        ticker = self._factory(self.api_key, self.access_token, root=self.root, reconnect=True, reconnect_max_tries=300)
        first_connect = [True]

        def on_connect(ws: KiteTicker, response: Any) -> None:
            if self.closed:  # a dial that was under way when the stream was closed
                ws.close(1000, "optrading: stopping")
                return
            with self._lock:
                self._connected[index] = True
                self._ever_connected = True
            if first_connect[0]:  # later connects: pykiteconnect's own resubscribe() does it
                first_connect[0] = False
                tokens = list(ws.subscribed_tokens)
                if tokens:
                    ws.subscribe(tokens)
                    ws.set_mode(ws.MODE_FULL, tokens)
            self.events.put(StreamEvent("connected", index, f"{len(ws.subscribed_tokens)} tokens"))

        def on_close(ws: KiteTicker, code: Any, reason: Any) -> None:
            with self._lock:
                self._connected[index] = False
                tokens = set(self._shards[index]) if index < len(self._shards) else set()
            self.book.discard(tokens)  # nothing stale may be stored while the connection is down
            if not self.closed:
                self.events.put(StreamEvent("closed", index, f"{code} {reason}"))

        def on_error(ws: KiteTicker, code: Any, reason: Any) -> None:
            text = f"{code} {reason}"
            if "403" in text:  # the handshake was refused: the access token is dead
                ws.stop_retry()
                self.events.put(StreamEvent("token_rejected", index, text))
            else:
                self.events.put(StreamEvent("error", index, text))

        def on_noreconnect(ws: KiteTicker) -> None:
            self.events.put(StreamEvent("gave_up", index, "stopped reconnecting"))

        def on_message(ws: KiteTicker, payload: bytes, is_binary: bool) -> None:
            if not is_binary and b'"error"' in payload:
                self.events.put(StreamEvent("kite_error", index, payload.decode("utf-8", "replace")[:500]))

        def on_ticks(ws: KiteTicker, ticks: list[dict[str, Any]]) -> None:
            # Only tokens this connection still carries: a frame sent before an unsubscribe reached Kite
            # must not leave a tick behind that could later pass for current.
            with self._lock:
                carried = self._shards[index] if index < len(self._shards) else set()
                wanted = [tick for tick in ticks if tick.get("instrument_token") in carried]
            self.book.update(wanted)

        ticker.on_ticks = on_ticks
        ticker.on_connect = on_connect
        ticker.on_close = on_close
        ticker.on_error = on_error
        ticker.on_noreconnect = on_noreconnect
        ticker.on_message = on_message
        with self._lock:
            self._tickers.append(ticker)
            self._connected.append(False)
        ticker.connect()  # the reactor is running (we are on its thread), so this only dials
