"""What the simulated market lists on a given day, as Kite instruments-dump rows.

Contracts: for each underlying, the expiry ladder of ``expiry_schedule`` (4 weeklies + 3 monthlies where the
underlying has weeklies, else 3 monthlies) with strikes every ``strike_step`` over +/- ``strike_range_pct`` of the
starting level, plus futures on the next 3 monthlies. Tokens are a pure function of the contract, so a contract
keeps its token from the day it is listed until it expires. Tradingsymbols follow Kite's formats for display only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from apps.market import rules
from apps.market.expiries import expiry_schedule, is_monthly_expiry, monthly_expiries

DATA_FILE = Path(__file__).resolve().parent / "data" / "market.json"
SEGMENT_IDS = {"NSE": 1, "NFO": 2, "BSE": 4, "BFO": 5, "INDICES": 9}
"""Kite's low byte of instrument_token per segment (pykiteconnect ticker EXCHANGE_MAP)."""
WEEKLY_COUNT = 4
MONTHLY_COUNT = 3
FUTURE_COUNT = 3
OPTION_TICK = 0.05
FUTURE_TICK = 0.1
EQUITY_TICK = 0.05
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKLY_MONTH_CODES = "123456789OND"
UNDERLYING_INDEX = {"NIFTY": 0, "BANKNIFTY": 1, "FINNIFTY": 2, "MIDCPNIFTY": 3, "SENSEX": 4}
VIX_TRADINGSYMBOL = "INDIA VIX"
VIX_EXCHANGE_TOKEN = 1035


@dataclass(frozen=True)
class Contract:
    """What the simulator needs to price one listed instrument."""

    key: str
    kind: str  # "index", "stock", "future", "option"
    series: str  # the price series it follows: an underlying symbol, index or stock tradingsymbol
    instrument_token: int
    lot_size: int
    tick_size: float
    expiry: date | None = None
    strike: float = 0.0
    is_call: bool = False


@cache
def market_data() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def instrument_token(exchange_token: int, segment: str) -> int:
    return exchange_token * 256 + SEGMENT_IDS[segment]


def strike_grid(symbol: str) -> list[float]:
    """The listed strikes of every expiry of ``symbol``: every step over +/- range % of the starting level."""
    level = float(market_data()["underlyings"][symbol]["level"])
    step = rules.strike_step(symbol)
    pct = float(market_data()["strike_range_pct"]) / 100
    low = math.floor(level * (1 - pct) / step) * step
    high = math.ceil(level * (1 + pct) / step) * step
    count = round((high - low) / step)
    return [low + i * step for i in range(count + 1)]


def _strike_text(strike: float) -> str:
    return str(int(strike)) if float(strike).is_integer() else f"{strike:g}"


def option_tradingsymbol(symbol: str, expiry: date, strike: float, option_type: str) -> str:
    yy = f"{expiry.year % 100:02d}"
    if is_monthly_expiry(symbol, expiry):
        return f"{symbol}{yy}{MONTHS[expiry.month - 1]}{_strike_text(strike)}{option_type}"
    return f"{symbol}{yy}{WEEKLY_MONTH_CODES[expiry.month - 1]}{expiry.day:02d}{_strike_text(strike)}{option_type}"


def future_tradingsymbol(symbol: str, expiry: date) -> str:
    return f"{symbol}{expiry.year % 100:02d}{MONTHS[expiry.month - 1]}FUT"


def option_exchange_token(symbol: str, expiry: date, strike_index: int, is_call: bool) -> int:
    """Unique per contract and below 2**24, so instrument_token fits Kite's uint32."""
    return (
        1_000_000
        + UNDERLYING_INDEX[symbol] * 3_000_000
        + (expiry.toordinal() % 2000) * 1200
        + strike_index * 2
        + (0 if is_call else 1)
    )


def future_exchange_token(symbol: str, expiry: date) -> int:
    return 900_000 + UNDERLYING_INDEX[symbol] * 2000 + expiry.toordinal() % 2000


def _row(
    *,
    exchange_token: int,
    segment: str,
    tradingsymbol: str,
    name: str,
    exchange: str,
    instrument_type: str,
    expiry: date | str = "",
    strike: float = 0.0,
    tick_size: float = 0.0,
    lot_size: int = 0,
) -> dict[str, Any]:
    """One row exactly as pykiteconnect's ``instruments()`` returns it (12 keys, its types)."""
    return {
        "instrument_token": instrument_token(exchange_token, "INDICES" if segment == "INDICES" else exchange),
        "exchange_token": str(exchange_token),
        "tradingsymbol": tradingsymbol,
        "name": name,
        "last_price": 0.0,
        "expiry": expiry,
        "strike": float(strike),
        "tick_size": float(tick_size),
        "lot_size": int(lot_size),
        "instrument_type": instrument_type,
        "segment": segment,
        "exchange": exchange,
    }


def index_rows() -> list[dict[str, Any]]:
    rows = []
    for spec in rules.underlying_specs().values():
        rows.append(
            _row(
                exchange_token=spec.spot_token // 256,
                segment="INDICES",
                tradingsymbol=spec.spot_tradingsymbol,
                name=spec.spot_tradingsymbol,
                exchange=spec.exchange,
                instrument_type="EQ",
            )
        )
    rows.append(
        _row(
            exchange_token=VIX_EXCHANGE_TOKEN,
            segment="INDICES",
            tradingsymbol=VIX_TRADINGSYMBOL,
            name=VIX_TRADINGSYMBOL,
            exchange="NSE",
            instrument_type="EQ",
        )
    )
    for index in market_data()["indices"]:
        rows.append(
            _row(
                exchange_token=int(index["exchange_token"]),
                segment="INDICES",
                tradingsymbol=index["tradingsymbol"],
                name=index["tradingsymbol"],
                exchange=index["exchange"],
                instrument_type="EQ",
            )
        )
    return rows


def stock_rows() -> list[dict[str, Any]]:
    return [
        _row(
            exchange_token=int(stock["exchange_token"]),
            segment="NSE",
            tradingsymbol=stock["tradingsymbol"],
            name=stock["name"],
            exchange="NSE",
            instrument_type="EQ",
            tick_size=EQUITY_TICK,
            lot_size=1,
        )
        for stock in market_data()["stocks"]
    ]


def derivative_rows(as_of: date) -> list[dict[str, Any]]:
    rows = []
    for spec in rules.underlying_specs().values():
        symbol, exchange = spec.symbol, spec.options_exchange
        weeklies = WEEKLY_COUNT if rules.has_weeklies(symbol, as_of) else 0
        for expiry in monthly_expiries(symbol, as_of, FUTURE_COUNT):
            rows.append(
                _row(
                    exchange_token=future_exchange_token(symbol, expiry),
                    segment=f"{exchange}-FUT",
                    tradingsymbol=future_tradingsymbol(symbol, expiry),
                    name=symbol,
                    exchange=exchange,
                    instrument_type="FUT",
                    expiry=expiry,
                    tick_size=FUTURE_TICK,
                    lot_size=rules.lot_size(symbol, expiry),
                )
            )
        for expiry in expiry_schedule(symbol, as_of, weeklies, MONTHLY_COUNT):
            lot = rules.lot_size(symbol, expiry)
            for index, strike in enumerate(strike_grid(symbol)):
                for option_type in ("CE", "PE"):
                    rows.append(
                        _row(
                            exchange_token=option_exchange_token(symbol, expiry, index, option_type == "CE"),
                            segment=spec.options_segment,
                            tradingsymbol=option_tradingsymbol(symbol, expiry, strike, option_type),
                            name=symbol,
                            exchange=exchange,
                            instrument_type=option_type,
                            expiry=expiry,
                            strike=strike,
                            tick_size=OPTION_TICK,
                            lot_size=lot,
                        )
                    )
    return rows


@lru_cache(maxsize=8)
def instrument_rows(as_of: date) -> tuple[dict[str, Any], ...]:
    """Every row the simulated market lists on ``as_of`` (callers get copies)."""
    return tuple(index_rows() + stock_rows() + derivative_rows(as_of))


def _contract(row: dict[str, Any]) -> Contract:
    key = f"{row['exchange']}:{row['tradingsymbol']}"
    if row["segment"] == "INDICES":
        spots = {(spec.exchange, spec.spot_tradingsymbol): spec.symbol for spec in rules.underlying_specs().values()}
        kind, series = "index", spots.get((row["exchange"], row["tradingsymbol"]), row["tradingsymbol"])
    elif row["instrument_type"] == "EQ":
        kind, series = "stock", row["tradingsymbol"]
    elif row["instrument_type"] == "FUT":
        kind, series = "future", row["name"]
    else:
        kind, series = "option", row["name"]
    return Contract(
        key=key,
        kind=kind,
        series=series,
        instrument_token=row["instrument_token"],
        lot_size=row["lot_size"],
        tick_size=row["tick_size"],
        expiry=row["expiry"] or None,
        strike=row["strike"],
        is_call=row["instrument_type"] == "CE",
    )


@lru_cache(maxsize=8)
def contracts_by_key(as_of: date) -> dict[str, Contract]:
    return {contract.key: contract for contract in map(_contract, instrument_rows(as_of))}
