"""A Kite Connect v3 REST double on a loopback port, for driving the real pykiteconnect client.

It follows docs/kite-protocol.md §10.1: served at the root; a Content-Type on every reply; error
bodies with status/message/error_type; single-use request tokens with a TTL and checksum check; one
access token per app (a new session kills the previous token); tokens die at the next 06:00 IST by an
injectable clock; repeated ``i`` keys with the 500/1000 limits; unknown keys silently absent; CSV
instruments with the 12-column header; per-api-key rate limits answering 429; and fault injection.

It also answers ``POST /margins/basket`` (the basket-margin calculator) with a deterministic SPAN-like rule of
its own, documented at :meth:`KiteDouble._basket_margin` and in docs/kite.md, so tests can work the figures out.

Usage::

    double = KiteDouble().start()
    kite = KiteConnect(double.api_key, root=double.root)
    kite.generate_session(double.issue_request_token(), api_secret=double.api_secret)
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.kite_double.market import IST, MarketBook, Row, today_ist, utc_now

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n</body>\r\n</html>\r\n"
)
QUOTE_LIMITS = {"/quote": 500, "/quote/ohlc": 1000, "/quote/ltp": 1000}
RATES = {"quote": 1, "historical": 3, "other": 10}
SPAN_RATE = 0.09
"""The double's SPAN for a sold option: this share of the underlying's notional (spot x units)."""
EXPOSURE_RATE = 0.02
"""The double's exposure margin for a sold option: this share of the underlying's notional."""
ORDER_CHOICES = {
    "transaction_type": {"BUY", "SELL"},
    "variety": {"regular", "amo", "co", "iceberg", "auction"},
    "product": {"NRML", "MIS", "CNC", "MTF"},
    "order_type": {"MARKET", "LIMIT", "SL", "SL-M"},
}


@dataclass
class Fault:
    """One injected failure for requests whose path starts with ``path``.

    kinds: ``rate_limit`` (429 NetworkException), ``html_502`` (proxy HTML page), ``unavailable``
    (503 NetworkException), ``general`` (500 GeneralException), ``token_expired`` (kills every live
    access token, then 403 TokenException), ``slow`` (sleeps ``delay`` seconds, then answers normally).
    The first ``after`` matching requests pass untouched (to fail mid-run).
    """

    kind: str
    path: str = "/quote"
    times: int = 1
    delay: float = 0.0
    after: int = 0


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)
    """When it arrived (monotonic seconds), to check the client's pacing."""


@dataclass
class AccessToken:
    api_key: str
    expires_at: datetime
    revoked: bool = False


@dataclass
class KiteDouble:
    api_key: str = "doublekey1234"
    api_secret: str = "doublesecret5678"
    user_id: str = "DB1234"
    user_name: str = "Double Trader"
    request_token_ttl: timedelta = timedelta(minutes=5)
    clock: Callable[[], datetime] = utc_now
    rate_limit: bool = True
    require_version_header: bool = True

    faults: list[Fault] = field(default_factory=list)
    missing_keys: set[str] = field(default_factory=set)
    instruments_body: bytes | None = None
    """When set, every /instruments answer is these bytes (a broken dump for the importer's fuzz tests)."""
    requests: list[RecordedRequest] = field(default_factory=list)
    rejected_429: int = 0
    _request_tokens: dict[str, tuple[datetime, bool]] = field(default_factory=dict)
    _access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    _calls: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _book: MarketBook | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _connections: set[socket.socket] = field(default_factory=set)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> KiteDouble:
        double = self

        class Handler(_Handler):
            kite = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="kite-double", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections, so the port is really dead."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._lock:
                connections, self._connections = list(self._connections), set()
            for sock in connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._server = None

    @property
    def root(self) -> str:
        assert self._server is not None, "start() the double first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- test controls ------------------------------------------------------------------------

    def set_time(self, when: datetime) -> None:
        """Freeze the double's clock (aware datetime)."""
        self.clock = lambda: when

    def now(self) -> datetime:
        return self.clock()

    @property
    def book(self) -> MarketBook:
        with self._lock:
            if self._book is None:
                self._book = MarketBook(listing_date=today_ist(self.now()))
            return self._book

    def issue_request_token(self) -> str:
        """What Kite's login page does after the user logs in: a fresh single-use request token."""
        token = secrets.token_hex(16)
        with self._lock:
            self._request_tokens[token] = (self.now(), False)
        return token

    def checksum(self, request_token: str) -> str:
        return hashlib.sha256((self.api_key + request_token + self.api_secret).encode()).hexdigest()

    def inject(self, kind: str, *, path: str = "/quote", times: int = 1, delay: float = 0.0, after: int = 0) -> None:
        with self._lock:
            self.faults.append(Fault(kind=kind, path=path, times=times, delay=delay, after=after))

    def expire_tokens(self) -> None:
        """Kill every access token, as a master logout or the 06:00 IST cut-off does."""
        with self._lock:
            for token in self._access_tokens.values():
                token.revoked = True

    def live_tokens(self) -> list[str]:
        with self._lock:
            return [t for t, a in self._access_tokens.items() if not a.revoked and a.expires_at > self.now()]

    def count(self, path: str, method: str = "GET") -> int:
        return sum(1 for r in self.requests if r.path == path and r.method == method)

    # --- request handling ---------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and path.startswith(fault.path):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.times -= 1
                    return fault
        return None

    def _rate_class(self, path: str) -> str:
        if path.startswith("/quote"):
            return "quote"
        if path.startswith("/instruments/historical"):
            return "historical"
        return "other"

    def _over_limit(self, api_key: str, path: str) -> bool:
        """Sliding one-second window per (api key, class); only accepted calls count."""
        if not self.rate_limit:
            return False
        kind = self._rate_class(path)
        with self._lock:
            window = self._calls.setdefault((api_key, kind), deque())
            now = time.monotonic()
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= RATES[kind]:
                self.rejected_429 += 1
                return True
            window.append(now)
            return False

    def _session_token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        api_key = _first(form, "api_key")
        request_token = _first(form, "request_token")
        checksum = _first(form, "checksum")
        for name, value in (("api_key", api_key), ("request_token", request_token), ("checksum", checksum)):
            if not value:
                return _error(400, "InputException", f"Missing or empty field `{name}`.")
        if api_key != self.api_key:
            return _error(403, "TokenException", "Invalid `api_key`.")
        with self._lock:
            issued = self._request_tokens.get(request_token)
            if issued is None or issued[1] or self.now() - issued[0] > self.request_token_ttl:
                return _error(403, "TokenException", "Token is invalid or has expired.")
            if checksum != self.checksum(request_token):
                return _error(403, "TokenException", "Invalid `checksum`.")
            self._request_tokens[request_token] = (issued[0], True)
            for token in self._access_tokens.values():  # one access token per app
                token.revoked = True
            access_token = secrets.token_hex(16)
            now = self.now()
            self._access_tokens[access_token] = AccessToken(api_key=api_key, expires_at=_next_six_ist(now))
        return 200, {
            "user_type": "individual",
            "email": "double@example.com",
            "user_name": self.user_name,
            "user_shortname": self.user_name.split()[0],
            "broker": "ZERODHA",
            "exchanges": ["NSE", "NFO", "BFO", "CDS", "BSE", "MCX", "BCD", "MF"],
            "products": ["CNC", "NRML", "MIS", "BO", "CO"],
            "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
            "avatar_url": None,
            "user_id": self.user_id,
            "api_key": api_key,
            "access_token": access_token,
            "public_token": secrets.token_hex(8),
            "enctoken": "",
            "refresh_token": "",
            "silo": "",
            "login_time": now.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S"),
            "meta": {"demat_consent": "physical"},
        }

    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("token ") or ":" not in header:
            return False
        api_key, _, access_token = header[len("token ") :].partition(":")
        with self._lock:
            token = self._access_tokens.get(access_token)
            return (
                token is not None
                and token.api_key == api_key == self.api_key
                and not token.revoked
                and token.expires_at > self.now()
            )

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        form: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes = b"",
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        record = RecordedRequest(method, path, query, headers, body=body)
        with self._lock:
            self.requests.append(record)
        status, ctype, reply = self._dispatch(method, path, query, form, headers, body)
        record.status = status
        return status, ctype, reply

    def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        form: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes = b"",
    ) -> tuple[int, str, bytes]:
        if self.require_version_header and headers.get("x-kite-version") != "3":
            return _json(*_error(400, "InputException", "Missing or invalid `X-Kite-Version` header."))
        auth = headers.get("authorization")
        api_key = (
            (auth or "").removeprefix("token ").partition(":")[0] or _first(form, "api_key") or _first(query, "api_key")
        )
        fault = self._take_fault(path)
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "rate_limit":
                return _json(*_error(429, "NetworkException", "Too many requests"))
            elif fault.kind == "html_502":
                return 502, "text/html", HTML_502.encode()
            elif fault.kind == "unavailable":
                return _json(*_error(503, "NetworkException", "Service Unavailable"))
            elif fault.kind == "general":
                return _json(*_error(500, "GeneralException", "An unexpected error occurred."))
            elif fault.kind == "token_expired":
                self.expire_tokens()
            else:
                raise ValueError(f"unknown fault {fault.kind!r}")
        if api_key and self._over_limit(api_key, path):
            return _json(*_error(429, "NetworkException", "Too many requests"))

        if path == "/session/token" and method == "POST":
            return _json(*self._session_token(form))
        if path == "/session/token" and method == "DELETE":
            access_token = _first(query, "access_token")
            with self._lock:
                token = self._access_tokens.get(access_token)
                if token is None or token.revoked or token.expires_at <= self.now():
                    return _json(*_error(403, "TokenException", "Incorrect `api_key` or `access_token`."))
                token.revoked = True
            return _json(200, True)
        if path.startswith("/instruments") and not path.startswith("/instruments/historical"):
            if auth and not self._authorised(auth):  # the dump needs no login, but a bad token is refused
                return _json(*_error(403, "TokenException", "Incorrect `api_key` or `access_token`."))
            parts = path.strip("/").split("/")
            exchange = parts[1] if len(parts) > 1 else None
            if exchange is not None and exchange not in {"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"}:
                return _json(*_error(400, "InputException", f"Invalid exchange `{exchange}`."))
            if self.instruments_body is not None:
                return 200, "text/csv", self.instruments_body
            return 200, "text/csv", self.book.instruments_csv(exchange).encode()
        if not self._authorised(auth):
            return _json(*_error(403, "TokenException", "Incorrect `api_key` or `access_token`."))
        if path == "/user/profile" and method == "GET":
            return _json(
                200,
                {
                    "user_id": self.user_id,
                    "user_type": "individual",
                    "email": "double@example.com",
                    "user_name": self.user_name,
                    "user_shortname": self.user_name.split()[0],
                    "broker": "ZERODHA",
                    "exchanges": ["BFO", "NSE", "BSE", "NFO"],
                    "products": ["CNC", "NRML", "MIS"],
                    "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
                    "avatar_url": None,
                    "meta": {"demat_consent": "physical"},
                },
            )
        if path in QUOTE_LIMITS and method == "GET":
            return _json(*self._quotes(path, query.get("i", [])))
        if path == "/margins/basket" and method == "POST":
            if "json" not in headers.get("content-type", ""):
                return _json(*_error(400, "InputException", "Margin requests need a JSON body (application/json)."))
            return _json(*self._basket_margin(query, body))
        return _json(*_error(404, "GeneralException", f"Route not found: {method} {path}"))

    def _quotes(self, path: str, keys: list[str]) -> tuple[int, dict[str, Any]]:
        limit = QUOTE_LIMITS[path]
        if not keys:
            return _error(400, "InputException", "No instruments specified.")
        if len(keys) > limit:
            return _error(400, "InputException", f"Too many tokens requested. Max permitted is {limit}.")
        book, now = self.book, self.now()
        data: dict[str, Any] = {}
        for key in keys:
            row = book.by_token.get(int(key)) if key.isdigit() else book.by_key.get(key)
            if row is None or key in self.missing_keys or row.key in self.missing_keys:
                continue  # no data: the key is simply absent
            quote = book.full_quote(row, now)
            if path == "/quote":
                data[key] = quote
            elif path == "/quote/ohlc":
                data[key] = {k: quote[k] for k in ("instrument_token", "last_price", "ohlc")}
            else:
                data[key] = {k: quote[k] for k in ("instrument_token", "last_price")}
        return 200, data

    # --- margins ------------------------------------------------------------------------------

    def _basket_margin(self, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, Any]]:
        """``POST /margins/basket``: the double's margin for a basket of option orders, priced at its clock.

        Validation (400 InputException, the message naming the order): a JSON list of order objects; a known
        exchange and an option listed on it; ``transaction_type``, ``variety``, ``product``, ``order_type`` from
        Kite's choices; a whole positive ``quantity`` that is a multiple of the lot size; non-negative ``price``.
        ``consider_positions`` must be true/false (the double holds no positions, so both answer the same);
        ``mode=compact`` answers only the totals (every other figure 0, no per-order list).

        The rule, with U the underlying's spot and P the option's last price (what /quote answers now), q units:

        * a bought option: ``option_premium`` = P x q, no SPAN or exposure;
        * a sold option: ``span`` = SPAN_RATE x U x q, ``exposure`` = EXPOSURE_RATE x U x q;
        * ``initial``: every order margined on its own, summed;
        * ``final``: per (underlying, expiry) and option type, the sold units matched by bought units of the same
          type (in the order of the basket, unit for unit) have SPAN min(SPAN_RATE x U, the spread's worst loss
          per unit: max(0, K_bought - K_sold) for calls, max(0, K_sold - K_bought) for puts); unmatched sold
          units keep the naked SPAN. Only one side can lose at expiry, so the (underlying, expiry)'s SPAN is the
          larger of its calls' and its puts'. Exposure and premium are as ``initial``;
        * ``total`` = span + exposure + option_premium; every figure rounded to the paisa.
        """
        consider = _first(query, "consider_positions").lower()
        if consider not in {"", "true", "false"}:
            return _error(400, "InputException", "Invalid `consider_positions`: use true or false.")
        try:
            orders = json.loads(body or b"null")
        except ValueError:
            return _error(400, "InputException", "The body is not valid JSON.")
        if not isinstance(orders, list) or not orders:
            return _error(400, "InputException", "The body must be a non-empty JSON list of orders.")
        book, now = self.book, self.now()
        legs: list[tuple[Row, str, int]] = []
        for n, order in enumerate(orders, start=1):
            if not isinstance(order, dict):
                return _error(400, "InputException", f"Order {n}: not an object.")
            exchange, symbol = order.get("exchange"), order.get("tradingsymbol")
            if exchange not in {"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"}:
                return _error(400, "InputException", f"Order {n}: invalid `exchange` {exchange!r}.")
            row = book.by_key.get(f"{exchange}:{symbol}")
            if row is None:
                return _error(400, "InputException", f"Order {n}: invalid `tradingsymbol` {symbol!r} on {exchange}.")
            if row.instrument_type not in {"CE", "PE"}:
                reason = f"Order {n}: {exchange}:{symbol} is not an option (the double margins options only)."
                return _error(400, "InputException", reason)
            for name, choices in ORDER_CHOICES.items():
                if order.get(name) not in choices:
                    return _error(
                        400,
                        "InputException",
                        f"Order {n}: invalid `{name}` {order.get(name)!r}; one of {', '.join(sorted(choices))}.",
                    )
            quantity = order.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                return _error(400, "InputException", f"Order {n}: `quantity` must be a positive whole number.")
            if quantity % row.lot_size:
                return _error(
                    400,
                    "InputException",
                    f"Order {n}: quantity {quantity} of {symbol} is not a multiple of its lot size {row.lot_size}.",
                )
            for name in ("price", "trigger_price"):
                value = order.get(name, 0)
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    return _error(400, "InputException", f"Order {n}: invalid `{name}` {value!r}.")
            legs.append((row, order["transaction_type"], quantity))

        per_order = []
        for row, side, quantity in legs:
            assert row.underlying is not None
            spot = book.spot_at(row.underlying.index, now)
            if side == "BUY":
                span, exposure, premium = 0.0, 0.0, book.price(row, now) * quantity
            else:
                span, exposure, premium = SPAN_RATE * spot * quantity, EXPOSURE_RATE * spot * quantity, 0.0
            per_order.append((row, _margin(span, exposure, premium, row=row)))
        initial = _margin(
            sum(m["span"] for _, m in per_order),
            sum(m["exposure"] for _, m in per_order),
            sum(m["option_premium"] for _, m in per_order),
        )
        final = _margin(self._hedged_span(legs, now), initial["exposure"], initial["option_premium"])
        if _first(query, "mode") == "compact":
            initial, final = _compact(initial), _compact(final)
            listed: list[dict[str, Any]] = []
        else:
            listed = [m for _, m in per_order]
        charges = {"transaction_tax": 0, "exchange_turnover_charge": 0, "sebi_turnover_charge": 0, "brokerage": 0}
        return 200, {"initial": initial, "final": final, "orders": listed, "charges": {**charges, "total": 0}}

    def _hedged_span(self, legs: list[tuple[Row, str, int]], now: datetime) -> float:
        """The basket's SPAN after its hedge benefit (the ``final`` rule of :meth:`_basket_margin`)."""
        book = self.book
        groups: dict[tuple[str, date | None], dict[str, float]] = {}
        for kind in ("CE", "PE"):
            by_group: dict[tuple[str, date | None], tuple[list[list[float]], list[list[float]]]] = {}
            for row, side, quantity in legs:
                if row.instrument_type != kind:
                    continue
                sold, bought = by_group.setdefault((row.name, row.expiry), ([], []))
                (sold if side == "SELL" else bought).append([row.strike, float(quantity)])
            for group, (sold, bought) in by_group.items():
                row = next(r for r, _, _ in legs if (r.name, r.expiry) == group)
                assert row.underlying is not None
                naked = SPAN_RATE * book.spot_at(row.underlying.index, now)
                span = 0.0
                for strike, units in sold:
                    while units > 0 and bought:
                        hedge = bought[0]
                        matched = min(units, hedge[1])
                        loss = max(0.0, hedge[0] - strike) if kind == "CE" else max(0.0, strike - hedge[0])
                        span += min(naked, loss) * matched
                        units -= matched
                        hedge[1] -= matched
                        if hedge[1] <= 0:
                            bought.pop(0)
                    span += naked * units
                groups.setdefault(group, {})[kind] = span
        return sum(max(sides.values()) for sides in groups.values())


class _Handler(BaseHTTPRequestHandler):
    kite: KiteDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.kite._lock:
            self.kite._connections.add(self.connection)

    def finish(self) -> None:
        with self.kite._lock:
            self.kite._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        form = parse_qs(body.decode(), keep_blank_values=True) if body else {}
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, ctype, payload = self.kite.handle(method, url.path, query, form, headers, body)
        if "gzip" in headers.get("accept-encoding", "") and len(payload) > 1024:
            payload = gzip.compress(payload)
            extra = [("Content-Encoding", "gzip")]
        else:
            extra = []
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout faults)
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")


def _first(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name) or [""]
    return values[0]


def _error(status: int, error_type: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status": "error", "message": message, "error_type": error_type, "data": None}


def _ints(value: Any) -> Any:
    """Kite writes whole numbers as JSON ints even in float fields (1396, not 1396.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def _margin(span: float, exposure: float, premium: float, *, row: Row | None = None) -> dict[str, Any]:
    """A Kite margin object (the fields of docs/connect/v3/margins "Margin structure")."""
    figures = {
        "type": "equity",
        "tradingsymbol": row.tradingsymbol if row else "",
        "exchange": row.exchange if row else "",
        "span": round(span, 2),
        "exposure": round(exposure, 2),
        "option_premium": round(premium, 2),
        "additional": 0,
        "bo": 0,
        "cash": 0,
        "var": 0,
        "pnl": {"realised": 0, "unrealised": 0},
        "leverage": 1,
        "total": round(span + exposure + premium, 2),
    }
    return figures


def _compact(figures: dict[str, Any]) -> dict[str, Any]:
    """Compact mode: only the total (every other figure 0)."""
    kept = ("type", "tradingsymbol", "exchange", "total", "pnl")
    return {key: value if key in kept else 0 for key, value in figures.items()}


def _json(status: int, payload: Any) -> tuple[int, str, bytes]:
    if status == 200:
        payload = {"status": "success", "data": payload}
    return status, "application/json; charset=utf-8", json.dumps(_ints(payload)).encode()


def _next_six_ist(now: datetime) -> datetime:
    local = now.astimezone(IST)
    six = local.replace(hour=6, minute=0, second=0, microsecond=0)
    return six if six > local else six + timedelta(days=1)
