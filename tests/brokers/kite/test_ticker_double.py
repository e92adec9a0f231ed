"""The KiteTicker double: its frames decode with pykiteconnect's own parser to the REST double's quotes,
and over a real socket it enforces Kite's handshake, limits, subscription messages and heartbeats.

The socket tests use websockets' sync client, not pykiteconnect's Twisted ticker, because one Twisted
reactor per process cannot be restarted (docs/kite-protocol.md §7.3).
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import pytest
from kiteconnect import KiteConnect, KiteTicker
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.kite_double import KiteDouble, KiteTickerDouble
from tests.kite_double.market import IST, MarketBook, Row, today_ist
from tests.kite_double.ticker import HEARTBEAT, frame_encode, packet_encode

NOW = datetime(2026, 9, 24, 10, 55, 1, tzinfo=IST)
NIFTY = 256265


def parse(frame: bytes) -> list[dict[str, Any]]:
    """pykiteconnect's own frame parser; constructing KiteTicker opens no connection."""
    ticks: list[dict[str, Any]] = KiteTicker("any", "x")._parse_binary(frame)
    return ticks


def local(kite_time: str | None) -> datetime:
    """What pykiteconnect gives for a Kite IST time string: host-local naive ``fromtimestamp``."""
    assert kite_time is not None
    return datetime.fromtimestamp(datetime.strptime(kite_time, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST).timestamp())


def packet_lengths(frame: bytes) -> list[int]:
    count, offset, lengths = struct.unpack(">H", frame[:2])[0], 2, []
    for _ in range(count):
        (length,) = struct.unpack(">H", frame[offset : offset + 2])
        lengths.append(length)
        offset += 2 + length
    assert offset == len(frame)
    return lengths


# --- encoders against pykiteconnect's parser ---------------------------------------------------


@pytest.fixture
def book() -> MarketBook:
    """The book a KiteDouble frozen at NOW serves (no server needed for the pure encoders)."""
    return MarketBook(listing_date=today_ist(NOW))


def option(book: MarketBook, predicate: Callable[[dict[str, Any]], bool]) -> tuple[Row, dict[str, Any]]:
    for row in book.rows:
        if row.instrument_type in ("CE", "PE"):
            quote = book.full_quote(row, NOW)
            if predicate(quote):
                return row, quote
    raise AssertionError("no such option in the book")


def assert_full_tradable(tick: dict[str, Any], quote: dict[str, Any]) -> None:
    assert tick["tradable"] is True
    assert tick["mode"] == "full"
    assert tick["instrument_token"] == quote["instrument_token"]
    assert tick["last_price"] == quote["last_price"]
    assert tick["last_traded_quantity"] == quote["last_quantity"]
    assert tick["average_traded_price"] == quote["average_price"]
    assert tick["volume_traded"] == quote["volume"]
    assert tick["total_buy_quantity"] == quote["buy_quantity"]
    assert tick["total_sell_quantity"] == quote["sell_quantity"]
    assert tick["ohlc"] == quote["ohlc"]
    assert (tick["oi"], tick["oi_day_high"], tick["oi_day_low"]) == (
        quote["oi"],
        quote["oi_day_high"],
        quote["oi_day_low"],
    )
    assert tick["depth"] == quote["depth"]
    assert len(tick["depth"]["buy"]) == len(tick["depth"]["sell"]) == 5
    assert tick["last_trade_time"] == local(quote["last_trade_time"])
    assert tick["exchange_timestamp"] == datetime.fromtimestamp(NOW.timestamp()) == local(quote["timestamp"])


def test_full_option_packet_decodes_to_the_quote(book: MarketBook) -> None:
    row, quote = option(book, lambda q: q["depth"]["buy"][4]["price"] > 0)
    packet = packet_encode(row, quote, "full", NOW)
    assert len(packet) == 184
    (tick,) = parse(frame_encode([packet]))
    assert_full_tradable(tick, quote)
    # Host-local naive, as pykiteconnect documents: back in IST it is Kite's string.
    assert tick["last_trade_time"].astimezone(IST).strftime("%Y-%m-%d %H:%M:%S") == quote["last_trade_time"]


def test_full_packet_keeps_the_zero_padded_depth_levels(book: MarketBook) -> None:
    row, quote = option(book, lambda q: q["depth"]["sell"][4]["price"] == 0 and q["last_trade_time"] is not None)
    (tick,) = parse(frame_encode([packet_encode(row, quote, "full", NOW)]))
    assert_full_tradable(tick, quote)
    assert tick["depth"]["sell"][4] == {"quantity": 0, "price": 0, "orders": 0}


def test_untraded_option_has_epoch_zero_last_trade_time(book: MarketBook) -> None:
    row, quote = option(book, lambda q: q["last_trade_time"] is None)
    (tick,) = parse(frame_encode([packet_encode(row, quote, "full", NOW)]))
    assert tick["last_trade_time"] == datetime.fromtimestamp(0)


def test_quote_and_ltp_packets_in_one_frame(book: MarketBook) -> None:
    row, quote = option(book, lambda q: q["volume"] > 0)
    frame = frame_encode([packet_encode(row, quote, "quote", NOW), packet_encode(row, quote, "ltp", NOW)])
    assert packet_lengths(frame) == [44, 8]
    as_quote, as_ltp = parse(frame)
    assert as_quote == {
        "tradable": True,
        "mode": "quote",
        "instrument_token": row.instrument_token,
        "last_price": quote["last_price"],
        "last_traded_quantity": quote["last_quantity"],
        "average_traded_price": quote["average_price"],
        "volume_traded": quote["volume"],
        "total_buy_quantity": quote["buy_quantity"],
        "total_sell_quantity": quote["sell_quantity"],
        "ohlc": quote["ohlc"],
        "change": as_quote["change"],
    }
    close = quote["ohlc"]["close"]
    assert as_quote["change"] == pytest.approx((quote["last_price"] - close) * 100 / close)
    assert as_ltp == {
        "tradable": True,
        "mode": "ltp",
        "instrument_token": row.instrument_token,
        "last_price": quote["last_price"],
    }


def test_full_index_packet(book: MarketBook) -> None:
    row = book.by_token[NIFTY]
    quote: dict[str, Any] = book.full_quote(row, NOW)
    packets = [packet_encode(row, quote, mode, NOW) for mode in ("full", "quote", "ltp")]
    assert [len(p) for p in packets] == [32, 28, 8]
    full, as_quote, ltp = parse(frame_encode(packets))
    assert full["tradable"] is False
    assert full["mode"] == "full"
    assert full["instrument_token"] == NIFTY
    assert full["last_price"] == quote["last_price"]
    assert full["ohlc"] == quote["ohlc"]
    assert full["exchange_timestamp"] == local(quote["timestamp"])
    assert as_quote["mode"] == "quote" and as_quote["ohlc"] == quote["ohlc"]
    assert "exchange_timestamp" not in as_quote
    assert ltp == {"tradable": False, "mode": "ltp", "instrument_token": NIFTY, "last_price": quote["last_price"]}


def test_index_packet_field_order_is_high_low_open_close(book: MarketBook) -> None:
    """The book's index open equals its close, so pin the order with four distinct prices."""
    row = book.by_token[NIFTY]
    quote = {"last_price": 101.5, "ohlc": {"open": 100.25, "high": 102.0, "low": 99.5, "close": 100.75}}
    packet = packet_encode(row, quote, "full", NOW)
    assert struct.unpack(">IIIIIIiI", packet) == (NIFTY, 10150, 10200, 9950, 10025, 10075, 75, int(NOW.timestamp()))
    (tick,) = parse(frame_encode([packet]))
    assert tick["ohlc"] == quote["ohlc"]


def test_frame_layout_is_big_endian_count_then_length_prefixed_packets() -> None:
    assert frame_encode([b"a" * 8, b"b" * 3]) == b"\x00\x02" + b"\x00\x08" + b"a" * 8 + b"\x00\x03" + b"bbb"
    assert frame_encode([]) == b"\x00\x00"


# --- over a socket ------------------------------------------------------------------------------


@pytest.fixture
def access_token(kite_double: KiteDouble) -> str:
    """A live access token from the REST double's own login flow."""
    kite = KiteConnect(kite_double.api_key, root=kite_double.root)
    session = kite.generate_session(kite_double.issue_request_token(), api_secret=kite_double.api_secret)
    token: str = session["access_token"]
    return token


@pytest.fixture
def ticker(kite_ticker_double: KiteTickerDouble) -> KiteTickerDouble:
    kite_ticker_double.interval = 0.05
    kite_ticker_double.heartbeat_interval = 0.1
    return kite_ticker_double


@pytest.fixture
def dial(ticker: KiteTickerDouble, kite_double: KiteDouble, access_token: str) -> Iterator[Callable[..., Any]]:
    """Open client connections as pykiteconnect would (query string + X-Kite-Version), closed at the end."""
    with ExitStack() as stack:

        def open_one(*, api_key: str | None = None, token: str | None = None) -> ClientConnection:
            url = f"{ticker.root}?api_key={api_key or kite_double.api_key}&access_token={token or access_token}"
            ws = connect(url, additional_headers={"X-Kite-Version": "3"}, open_timeout=3, compression=None)
            return stack.enter_context(ws)

        yield open_one


def recv_until(ws: ClientConnection, want: Callable[[str | bytes], bool], timeout: float = 3.0) -> str | bytes:
    """The first message ``want`` accepts, skipping others (heartbeats, frames in flight)."""
    deadline = time.monotonic() + timeout
    while True:
        message = ws.recv(timeout=max(deadline - time.monotonic(), 0.01))
        if want(message):
            return message


def recv_frame(ws: ClientConnection, want: Callable[[bytes], bool] = lambda frame: True) -> bytes:
    """The first market-data frame ``want`` accepts, skipping heartbeats, text and earlier frames."""
    frame = recv_until(ws, lambda m: isinstance(m, bytes) and len(m) > 1 and want(m))
    assert isinstance(frame, bytes)
    return frame


def recv_text(ws: ClientConnection) -> str:
    text = recv_until(ws, lambda m: isinstance(m, str))
    assert isinstance(text, str)
    return text


def wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_bad_access_token_is_refused_with_403(dial: Callable[..., ClientConnection], ticker: KiteTickerDouble) -> None:
    with pytest.raises(InvalidStatus) as refused:
        dial(token="deadbeef")
    assert refused.value.response.status_code == 403
    assert b"access_token" in refused.value.response.body
    assert ticker.handshakes[-1]["status"] == 403
    assert ticker.connection_count() == 0


def test_wrong_api_key_is_refused_with_403(dial: Callable[..., ClientConnection], ticker: KiteTickerDouble) -> None:
    with pytest.raises(InvalidStatus) as refused:
        dial(api_key="someoneelse")
    assert refused.value.response.status_code == 403
    assert b"api_key" in refused.value.response.body


def test_handshake_is_recorded(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble, kite_double: KiteDouble, access_token: str
) -> None:
    dial()
    (handshake,) = ticker.handshakes
    assert handshake["params"] == {"api_key": kite_double.api_key, "access_token": access_token}
    assert handshake["headers"]["x-kite-version"] == "3"
    assert handshake["status"] == 101
    assert ticker.connection_count() == 1


def test_fourth_connection_is_refused_with_429(dial: Callable[..., ClientConnection], ticker: KiteTickerDouble) -> None:
    first_three = [dial() for _ in range(3)]
    with pytest.raises(InvalidStatus) as refused:
        dial()
    assert refused.value.response.status_code == 429
    assert b"Too many connections" in refused.value.response.body
    assert [h["status"] for h in ticker.handshakes] == [101, 101, 101, 429]
    assert ticker.connection_count() == 3
    for ws in first_three:  # still open and served
        assert ws.recv(timeout=2) == HEARTBEAT
    first_three[0].close()
    wait_for(lambda: ticker.connection_count() == 2)
    dial()  # a freed slot can be taken again


def test_subscribing_past_the_limit_is_an_error_and_subscribes_nothing(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble
) -> None:
    ws = dial()
    ws.send(json.dumps({"a": "subscribe", "v": [NIFTY, *range(1, 3001)]}))
    error = recv_text(ws)
    assert json.loads(error) == {
        "type": "error",
        "data": "Maximum of 3000 instruments can be subscribed per connection.",
    }
    assert ticker.subscriptions() == {}
    assert ticker.messages == [{"a": "subscribe", "v": [NIFTY, *range(1, 3001)]}]
    assert recv_until(ws, lambda m: isinstance(m, bytes)) == HEARTBEAT  # NIFTY was not subscribed


def test_subscribe_mode_full_then_unsubscribe(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble, kite_double: KiteDouble
) -> None:
    book = kite_double.book
    tokens = [NIFTY, next(r.instrument_token for r in book.rows if r.instrument_type == "CE")]
    ws = dial()

    ws.send(json.dumps({"a": "subscribe", "v": [*tokens, 999_999_999]}))  # unknown tokens are accepted, silent
    snapshot = recv_frame(ws)
    assert packet_lengths(snapshot) == [28, 44]  # default mode quote: index then option
    assert ticker.subscriptions() == {NIFTY: "quote", tokens[1]: "quote", 999_999_999: "quote"}

    ws.send(json.dumps({"a": "mode", "v": ["full", tokens]}))
    recv_frame(ws, lambda m: 184 in packet_lengths(m))
    for _ in range(3):
        frame = recv_frame(ws)
        assert packet_lengths(frame) == [32, 184]
        index, opt = parse(frame)
        assert (index["instrument_token"], index["mode"], index["tradable"]) == (NIFTY, "full", False)
        assert (opt["instrument_token"], opt["mode"], len(opt["depth"]["buy"])) == (tokens[1], "full", 5)
        quote = book.full_quote(book.by_token[tokens[1]], kite_double.now())
        assert opt["last_price"] == pytest.approx(quote["last_price"], rel=0.01)
    assert ticker.subscriptions() == {NIFTY: "full", tokens[1]: "full", 999_999_999: "quote"}

    ws.send(json.dumps({"a": "unsubscribe", "v": [*tokens, 999_999_999]}))
    recv_until(ws, lambda m: m == HEARTBEAT)  # only sent once nothing is subscribed; later ones too
    sent = ticker.frames_sent
    deadline = time.monotonic() + 0.4
    while time.monotonic() < deadline:
        assert ws.recv(timeout=1) == HEARTBEAT
    assert ticker.frames_sent == sent
    assert ticker.subscriptions() == {}
    assert [m["a"] for m in ticker.messages] == ["subscribe", "mode", "unsubscribe"]


def test_mode_applies_only_to_subscribed_tokens(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble
) -> None:
    ws = dial()
    ws.send(json.dumps({"a": "mode", "v": ["full", [NIFTY]]}))
    ws.send(json.dumps({"a": "subscribe", "v": [NIFTY]}))
    ws.send(json.dumps({"a": "mode", "v": ["ltp", [NIFTY]]}))
    recv_frame(ws, lambda m: packet_lengths(m) == [8])
    assert ticker.subscriptions() == {NIFTY: "ltp"}


def test_frames_are_priced_at_the_doubles_clock(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble, kite_double: KiteDouble
) -> None:
    """Frozen, a streamed full frame is exactly /quote's view; moved, the next frames follow the clock."""
    kite_double.set_time(NOW)
    book = kite_double.book
    row, quote = option(book, lambda q: q["depth"]["buy"][4]["price"] > 0)
    ws = dial()
    ws.send(json.dumps({"a": "subscribe", "v": [NIFTY, row.instrument_token]}))
    ws.send(json.dumps({"a": "mode", "v": ["full", [NIFTY, row.instrument_token]]}))
    frame = recv_frame(ws, lambda m: packet_lengths(m) == [32, 184])
    index, tick = parse(frame)
    assert_full_tradable(tick, quote)
    nifty: dict[str, Any] = book.full_quote(book.by_token[NIFTY], NOW)
    assert (index["last_price"], index["ohlc"]) == (nifty["last_price"], nifty["ohlc"])
    assert index["exchange_timestamp"] == local(nifty["timestamp"])

    later = datetime(2026, 9, 24, 13, 0, tzinfo=IST)
    kite_double.set_time(later)
    expected = book.full_quote(book.by_token[NIFTY], later)["last_price"]
    assert expected != nifty["last_price"]
    recv_frame(ws, lambda m: parse(m)[0]["last_price"] == expected)


def test_malformed_messages_get_an_error_and_the_connection_stays(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble
) -> None:
    ws = dial()
    for bad in ["not json", "[1, 2]", '{"a": "subscribe", "v": "256265"}', '{"a": "mode", "v": ["fast", [1]]}']:
        ws.send(bad)
        error = json.loads(recv_text(ws))
        assert error["type"] == "error" and error["data"].startswith("Invalid")
    ws.send(json.dumps({"a": "subscribe", "v": [NIFTY]}))
    assert packet_lengths(recv_frame(ws)) == [28]


def test_idle_connection_gets_one_byte_heartbeats(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble
) -> None:
    ws = dial()
    started = time.monotonic()
    assert [ws.recv(timeout=1) for _ in range(3)] == [HEARTBEAT] * 3
    assert time.monotonic() - started >= 0.25  # paced by heartbeat_interval, not flooded
    assert ticker.frames_sent == 0


def test_send_error_reaches_every_client(dial: Callable[..., ClientConnection], ticker: KiteTickerDouble) -> None:
    clients = [dial(), dial()]
    ticker.send_error("demo error text")
    for ws in clients:
        message = recv_text(ws)
        assert json.loads(message) == {"type": "error", "data": "demo error text"}


def test_drop_connections_closes_them_abnormally(
    dial: Callable[..., ClientConnection], ticker: KiteTickerDouble
) -> None:
    clients = [dial(), dial()]
    ticker.drop_connections()
    for ws in clients:
        with pytest.raises(ConnectionClosedError) as closed:
            while True:
                ws.recv(timeout=2)
        assert closed.value.rcvd is None  # no close frame: code 1006, what makes pykiteconnect reconnect
    wait_for(lambda: ticker.connection_count() == 0)
    dial()  # the client's reconnect is accepted


def test_stop_closes_connections(kite_double: KiteDouble, access_token: str) -> None:
    ticker = KiteTickerDouble(kite=kite_double, heartbeat_interval=0.1).start()
    url = f"{ticker.root}?api_key={kite_double.api_key}&access_token={access_token}"
    with connect(url, open_timeout=3) as ws:
        ticker.stop()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=2)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001  # going away
    with pytest.raises(OSError):
        connect(url, open_timeout=1)
