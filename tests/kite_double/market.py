"""The double's market: an instruments dump and live full quotes shaped exactly like Kite's.

Generated, not copied: index rows use the real Kite tokens and symbols (docs/kite-protocol.md §4.2,
docs/conventions.md §1.6); derivative rows follow Kite's token structure ((exchange_token << 8) | segment)
and tradingsymbol formats (docs/kite-protocol.md §4.3); lot sizes and strike steps are those of the 2026 dumps.
Expiries are
listed relative to the double's clock (NIFTY weekly on Tuesdays, SENSEX on Thursdays, monthly on the
last such weekday), ignoring holidays. Prices come from Black-76 on a slowly moving spot, so every
minute differs and calls/puts stay arbitrage-consistent.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
CSV_HEADER = (
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,"
    "instrument_type,segment,exchange"
)
SEGMENT_IDS = {"NSE": 1, "NFO": 2, "BSE": 4, "BFO": 5, "INDICES": 9}
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
WEEKLY_MONTH_CODES = "123456789OND"
RATE = 0.065


@dataclass(frozen=True)
class Index:
    exchange: str
    tradingsymbol: str
    token: int
    exchange_token: int
    spot: float


@dataclass(frozen=True)
class UnderlyingSpec:
    name: str
    index: Index
    exchange: str  # NFO / BFO
    lot_size: int
    step: float
    weekday: int  # 1 = Tuesday, 3 = Thursday
    weeklies: int
    monthlies: int = 3
    base_vol: float = 0.14


INDIA_VIX = Index("NSE", "INDIA VIX", 264969, 1035, 13.6)
UNDERLYINGS = [
    UnderlyingSpec("NIFTY", Index("NSE", "NIFTY 50", 256265, 1001, 24350.0), "NFO", 65, 50, 1, 4),
    UnderlyingSpec("BANKNIFTY", Index("NSE", "NIFTY BANK", 260105, 1016, 52300.0), "NFO", 30, 100, 1, 0),
    UnderlyingSpec("FINNIFTY", Index("NSE", "NIFTY FIN SERVICE", 257801, 1007, 24370.0), "NFO", 60, 50, 1, 0),
    UnderlyingSpec("MIDCPNIFTY", Index("NSE", "NIFTY MID SELECT", 288009, 1125, 12520.0), "NFO", 120, 25, 1, 0),
    UnderlyingSpec("SENSEX", Index("BSE", "SENSEX", 265, 1, 80150.0), "BFO", 20, 100, 3, 4, base_vol=0.13),
]
EQUITIES = [  # plain cash rows, so consumers must filter by segment and name
    ("NSE", "RELIANCE", "RELIANCE INDUSTRIES", 738561, 2885, 2950.0),
    ("BSE", "RELIANCE", "RELIANCE INDUSTRIES", 128083204, 500325, 2950.0),
]
STRIKE_RANGE = 0.12  # list strikes within ±12 % of the spot


@dataclass(frozen=True)
class Row:
    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str
    expiry: date | None
    strike: float
    tick_size: float
    lot_size: int
    instrument_type: str
    segment: str
    exchange: str
    underlying: UnderlyingSpec | None = None
    index: Index | None = None

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.tradingsymbol}"

    def csv(self) -> str:
        name = f'"{self.name}"' if self.name else ""
        expiry = self.expiry.isoformat() if self.expiry else ""
        strike = f"{self.strike:g}" if self.strike else "0"
        tick = f"{self.tick_size:g}" if self.tick_size else "0"
        return (
            f"{self.instrument_token},{self.exchange_token},{self.tradingsymbol},{name},0,{expiry},{strike},"
            f"{tick},{self.lot_size},{self.instrument_type},{self.segment},{self.exchange}"
        )


def _weekdays_from(start: date, weekday: int, count: int) -> list[date]:
    first = start + timedelta(days=(weekday - start.weekday()) % 7)
    return [first + timedelta(weeks=i) for i in range(count)]


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def expiries_for(spec: UnderlyingSpec, today: date) -> tuple[list[date], set[date]]:
    """(all option expiries, the monthly ones) on or after ``today``."""
    monthly: list[date] = []
    year, month = today.year, today.month
    while len(monthly) < spec.monthlies:
        candidate = _last_weekday(year, month, spec.weekday)
        if candidate >= today:
            monthly.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    weekly = _weekdays_from(today, spec.weekday, spec.weeklies)
    return sorted(set(monthly) | set(weekly)), set(monthly)


def _strike_text(strike: float) -> str:
    return str(int(strike)) if strike == int(strike) else f"{strike:g}"


def option_symbol(name: str, expiry: date, strike: float, kind: str, *, monthly: bool) -> str:
    yy = expiry.strftime("%y")
    if monthly:
        return f"{name}{yy}{MONTHS[expiry.month - 1]}{_strike_text(strike)}{kind}"
    return f"{name}{yy}{WEEKLY_MONTH_CODES[expiry.month - 1]}{expiry.day:02d}{_strike_text(strike)}{kind}"


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def black76(*, forward: float, strike: float, t: float, vol: float, rate: float, kind: str) -> float:
    if t <= 0:
        return max(0.0, forward - strike) if kind == "CE" else max(0.0, strike - forward)
    sd = vol * math.sqrt(t)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    df = math.exp(-rate * t)
    if kind == "CE":
        return df * (forward * _norm_cdf(d1) - strike * _norm_cdf(d2))
    return df * (strike * _norm_cdf(-d2) - forward * _norm_cdf(-d1))


def _tick(price: float, tick: float = 0.05) -> float:
    return round(max(tick, round(price / tick) * tick), 2)


def _noise(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (stable across runs and processes)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _kite_time(value: datetime) -> str:
    return value.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


_LISTINGS: dict[date, tuple[Row, ...]] = {}


@dataclass
class MarketBook:
    """Instruments listed on ``listing_date`` (IST) and their quotes at any instant."""

    listing_date: date
    rows: list[Row] = field(default_factory=list)
    by_key: dict[str, Row] = field(default_factory=dict)
    by_token: dict[int, Row] = field(default_factory=dict)
    junk_timestamps: bool = False  # after hours Kite sends epoch-0 timestamps

    def __post_init__(self) -> None:
        if self.rows:
            return
        # A listing is the same whenever it is built and its rows are frozen: a process builds each day's once
        # (about 0.1 s a double, and most Kite tests start one).
        built = _LISTINGS.get(self.listing_date)
        if built is None:
            self._build()
            _LISTINGS[self.listing_date] = tuple(self.rows)
        else:
            for row in built:
                self._add(row)

    def _add(self, row: Row) -> None:
        self.rows.append(row)
        self.by_key[row.key] = row
        self.by_token[row.instrument_token] = row

    def _build(self) -> None:
        for index in [u.index for u in UNDERLYINGS] + [INDIA_VIX]:
            self._add(
                Row(
                    index.token,
                    index.exchange_token,
                    index.tradingsymbol,
                    index.tradingsymbol,
                    None,
                    0,
                    0,
                    0,
                    "EQ",
                    "INDICES",
                    index.exchange,
                    index=index,
                )
            )
        for exchange, symbol, name, token, exchange_token, _price in EQUITIES:
            self._add(Row(token, exchange_token, symbol, name, None, 0, 0.05, 1, "EQ", exchange, exchange))
        next_exchange_token = {"NFO": 35000, "BFO": 820000}
        for spec in UNDERLYINGS:
            expiries, monthly = expiries_for(spec, self.listing_date)
            segment_id = SEGMENT_IDS[spec.exchange]

            def token() -> tuple[int, int]:
                et = next_exchange_token[spec.exchange]  # noqa: B023 - used immediately
                next_exchange_token[spec.exchange] = et + 1  # noqa: B023
                return (et << 8) | segment_id, et  # noqa: B023

            for expiry in sorted(monthly):
                tok, et = token()
                symbol = f"{spec.name}{expiry:%y}{MONTHS[expiry.month - 1]}FUT"
                self._add(
                    Row(
                        tok,
                        et,
                        symbol,
                        spec.name,
                        expiry,
                        0,
                        0.1,
                        spec.lot_size,
                        "FUT",
                        f"{spec.exchange}-FUT",
                        spec.exchange,
                        underlying=spec,
                    )
                )
            centre = round(spec.index.spot / spec.step) * spec.step
            half = int(spec.index.spot * STRIKE_RANGE / spec.step)
            strikes = [centre + i * spec.step for i in range(-half, half + 1)]
            for expiry in expiries:
                for strike in strikes:
                    for kind in ("CE", "PE"):
                        tok, et = token()
                        symbol = option_symbol(spec.name, expiry, strike, kind, monthly=expiry in monthly)
                        self._add(
                            Row(
                                tok,
                                et,
                                symbol,
                                spec.name,
                                expiry,
                                strike,
                                0.05,
                                spec.lot_size,
                                kind,
                                f"{spec.exchange}-OPT",
                                spec.exchange,
                                underlying=spec,
                            )
                        )

    # --- instruments ------------------------------------------------------------------------

    def instruments_csv(self, exchange: str | None = None) -> str:
        rows = [r for r in self.rows if exchange is None or r.exchange == exchange]
        return "\n".join([CSV_HEADER, *(r.csv() for r in rows)]) + "\n"

    # --- prices -----------------------------------------------------------------------------

    @staticmethod
    def spot_at(index: Index, now: datetime) -> float:
        """The index wanders ±0.4 % around its base over the day, differently per index."""
        minutes = now.timestamp() / 60.0
        phase = _noise(index.token) * 2 * math.pi
        return round(index.spot * (1 + 0.004 * math.sin(minutes / 47.0 + phase)), 2)

    @staticmethod
    def previous_close(index: Index) -> float:
        return round(index.spot * (1 - 0.003 + 0.006 * _noise("close", index.token)), 2)

    def _years_to(self, expiry: date, now: datetime) -> float:
        close = datetime(expiry.year, expiry.month, expiry.day, 15, 30, tzinfo=IST)
        return max((close - now).total_seconds(), 0.0) / (365.0 * 86400)

    def price(self, row: Row, now: datetime) -> float:
        if row.index is not None:
            return self.spot_at(row.index, now)
        if row.underlying is None:
            return next(p for e, s, _n, _t, _et, p in EQUITIES if e == row.exchange and s == row.tradingsymbol)
        spec = row.underlying
        spot = self.spot_at(spec.index, now)
        assert row.expiry is not None
        t = self._years_to(row.expiry, now)
        forward = spot * math.exp(RATE * t)
        if row.instrument_type == "FUT":
            return _tick(forward, 0.1)
        moneyness = math.log(row.strike / forward)
        vol = spec.base_vol + 0.6 * moneyness * moneyness - 0.05 * moneyness
        return _tick(black76(forward=forward, strike=row.strike, t=t, vol=vol, rate=RATE, kind=row.instrument_type))

    def full_quote(self, row: Row, now: datetime) -> dict[str, object]:
        """The 17-key /quote object, with 5 depth levels per side (0-padded) and Kite's time strings."""
        last = self.price(row, now)
        stamp = "1970-01-01 05:30:00" if self.junk_timestamps else _kite_time(now)
        empty = [{"price": 0, "quantity": 0, "orders": 0} for _ in range(5)]
        if row.index is not None:
            close = self.previous_close(row.index)
            return {
                "instrument_token": row.instrument_token,
                "timestamp": stamp,
                "last_trade_time": None,
                "last_price": last,
                "last_quantity": 0,
                "buy_quantity": 0,
                "sell_quantity": 0,
                "volume": 0,
                "average_price": 0,
                "oi": 0,
                "oi_day_high": 0,
                "oi_day_low": 0,
                "net_change": 0,
                "lower_circuit_limit": 0,
                "upper_circuit_limit": 0,
                "ohlc": {"open": close, "high": max(close, last), "low": min(close, last), "close": close},
                "depth": {"buy": empty, "sell": [dict(level) for level in empty]},
            }
        lot = max(row.lot_size, 1)
        close = _tick(last * (0.9 + 0.2 * _noise("close", row.instrument_token)))
        liquidity = math.exp(-(((math.log(row.strike / self.price_ref(row, now))) / 0.04) ** 2)) if row.strike else 1.0
        oi = lot * int(20 + 40000 * liquidity * (0.5 + _noise("oi", row.instrument_token)))
        volume = lot * int(5 + 90000 * liquidity * _noise("vol", row.instrument_token, int(now.timestamp() // 60)))
        levels = 5 if liquidity > 0.05 or last > 5 else 2  # illiquid strikes show few real levels
        buy = [
            {"price": _tick(last - 0.05 * (i + 1)), "quantity": lot * (i + 1) * 3, "orders": i + 1}
            if i < levels and last - 0.05 * (i + 1) > 0
            else {"price": 0, "quantity": 0, "orders": 0}
            for i in range(5)
        ]
        sell = [
            {"price": _tick(last + 0.05 * (i + 1)), "quantity": lot * (i + 2) * 2, "orders": i + 2}
            if i < levels
            else {"price": 0, "quantity": 0, "orders": 0}
            for i in range(5)
        ]
        traded = last > 0.05
        lag = int(_noise("ltt", row.instrument_token, int(now.timestamp() // 60)) * 50)
        return {
            "instrument_token": row.instrument_token,
            "timestamp": stamp,
            "last_trade_time": (_kite_time(now - timedelta(seconds=lag)) if not self.junk_timestamps else stamp)
            if traded
            else None,
            "last_price": last,
            "last_quantity": lot,
            "buy_quantity": sum(int(level["quantity"]) for level in buy),
            "sell_quantity": sum(int(level["quantity"]) for level in sell),
            "volume": volume,
            "average_price": _tick((last + close) / 2),
            "oi": oi,
            "oi_day_high": oi + lot * 10,
            "oi_day_low": max(0, oi - lot * 10),
            "net_change": 0,  # the exchange feed sends 0 (Kite forum comment/23121)
            "lower_circuit_limit": 0.05,
            "upper_circuit_limit": _tick(last * 3 + 10),
            "ohlc": {"open": close, "high": max(close, last), "low": min(close, last), "close": close},
            "depth": {"buy": buy, "sell": sell},
        }

    def price_ref(self, row: Row, now: datetime) -> float:
        """The forward-ish level liquidity centres on (the spot of the row's underlying)."""
        assert row.underlying is not None
        return self.spot_at(row.underlying.index, now)


def today_ist(now: datetime) -> date:
    return now.astimezone(IST).date()


def utc_now() -> datetime:
    return datetime.now(UTC)
