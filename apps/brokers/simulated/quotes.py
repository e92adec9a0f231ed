"""Kite-shaped full quotes of simulated instruments at a market minute.

Options are priced with Black-76 on the forward ``S e^{(r-q)T}`` with a skewed smile (puts richer) around an
ATM volatility that follows the simulated INDIA VIX; prices are rounded to the tick. Volume and OI are closed-form
functions of (seed, contract, day, minute): volume grows through the day with a U-shaped intensity, OI moves from
the previous close towards the day's close, both in units (multiples of the lot). Everything here is a pure function
of the seed and the minute. Pure numpy, no Django.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from apps.brokers.simulated.paths import MarketPaths, unit
from apps.brokers.simulated.universe import VIX_TRADINGSYMBOL, Contract, market_data
from apps.market.calendar import (
    is_trading_day,
    previous_trading_day,
    session_close,
    session_open,
    trading_day_on_or_before,
    years_to_expiry,
)
from apps.market.clock import IST, to_ist
from pricing import black76_price
from pricing.year_fraction import MINUTES_PER_YEAR

MIN_SMILE_YEARS = 2 / 365
DEPTH_LEVELS = 5
PRICE_CACHE_SIZE = 8000
INTENSITY = 0.6
"""Amplitude of the U-shaped intraday volume intensity 1 + a cos(2 pi u)."""


@dataclass(frozen=True)
class MinuteRef:
    """Where a requested minute falls: ``index`` minutes after the open of trading day ``day`` (``steps`` = close)."""

    day: date
    index: int
    steps: int
    calendar_day: date
    timestamp: datetime  # naive IST, as pykiteconnect returns it

    @property
    def at(self) -> datetime:
        return session_open(self.day) + timedelta(minutes=self.index)


def minute_ref(minute: datetime) -> MinuteRef:
    """Inside a session: that minute. After a close, on a holiday or before an open: the last close."""
    if minute.tzinfo is None:
        raise ValueError(f"The quote minute must be an aware datetime, got naive {minute.isoformat()}.")
    local = to_ist(minute).replace(second=0, microsecond=0)
    today = local.date()
    timestamp = local.replace(tzinfo=None)
    if is_trading_day(today):
        opens, closes = session_open(today), session_close(today)
        steps = int((closes - opens).total_seconds() // 60)
        if local >= closes:
            return MinuteRef(today, steps, steps, today, timestamp)
        if local >= opens:
            return MinuteRef(today, int((local - opens).total_seconds() // 60), steps, today, timestamp)
        day = previous_trading_day(today)
    else:
        day = trading_day_on_or_before(today)
    steps = int((session_close(day) - session_open(day)).total_seconds() // 60)
    return MinuteRef(day, steps, steps, today, timestamp)


def _tick(value: float, tick: float) -> float:
    return round(round(value / tick) * tick, 2)


def _cumulative_share(index: int, steps: int) -> float:
    """Share of the day's volume traded by minute ``index``: intensity 1 + a cos(2 pi u) is high at both ends."""
    u = min(1.0, (index + 1) / steps)
    return u + INTENSITY * math.sin(2 * math.pi * u) / (2 * math.pi)


def _zero_depth() -> list[dict[str, Any]]:
    return [{"price": 0.0, "quantity": 0, "orders": 0} for _ in range(DEPTH_LEVELS)]


class QuoteEngine:
    """Prices contracts for one seed; caches per-day price paths (bounded)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.paths = MarketPaths(seed)
        data = market_data()
        self.rate = float(data["rate"])
        self.carry = self.rate - float(data["dividend_yield"])
        self.underlyings = data["underlyings"]
        self._prices: dict[tuple[int, date], NDArray[np.float64]] = {}
        self._lock = threading.Lock()

    # --- levels --------------------------------------------------------------------------------
    def _series_path(self, day: date, name: str) -> NDArray[np.float64]:
        path: NDArray[np.float64] = self.paths.day_path(day)[:, self.paths.column[name]]
        return path

    def _years(self, contract: Contract, day: date) -> NDArray[np.float64]:
        assert contract.expiry is not None
        opens = session_open(day)
        steps = int((session_close(day) - opens).total_seconds() // 60)
        years: NDArray[np.float64] = years_to_expiry(opens, contract.expiry) - np.arange(steps + 1) / MINUTES_PER_YEAR
        return years

    def atm_vol(self, symbol: str, vix: NDArray[np.float64] | float, years: NDArray[np.float64] | float) -> Any:
        """ATM volatility: the VIX level scaled per underlying, a little lower for the shortest expiries."""
        term = 0.9 + 0.1 * np.minimum(1.0, np.maximum(years, 0.0) * 365 / 30)
        return np.asarray(vix) / 100 * float(self.underlyings[symbol]["vol_multiplier"]) * term

    def smile_vol(self, atm: Any, forward: Any, strike: float, years: Any) -> Any:
        """Skewed smile in standardised moneyness z = ln(K/F) / (sigma sqrt T): puts (z < 0) are richer."""
        z = np.log(strike / np.asarray(forward)) / (atm * np.sqrt(np.maximum(years, MIN_SMILE_YEARS)))
        z = np.clip(z, -4.0, 4.0)
        return np.maximum(atm * (1 - 0.15 * z + 0.03 * z * z), 0.4 * atm)

    def forward(self, spot: Any, years: Any) -> Any:
        return np.asarray(spot) * np.exp(self.carry * np.maximum(years, 0.0))

    def price_path(self, contract: Contract, day: date) -> NDArray[np.float64]:
        """Fair value of a future or option at every minute of ``day`` (last point: the close)."""
        key = (contract.instrument_token, day)
        with self._lock:
            cached = self._prices.get(key)
        if cached is not None:
            return cached
        spot = self._series_path(day, contract.series)
        years = self._years(contract, day)
        forward = self.forward(spot, years)
        if contract.kind == "future":
            prices: NDArray[np.float64] = forward
        else:
            vix = self._series_path(day, VIX_TRADINGSYMBOL)
            atm = self.atm_vol(contract.series, vix, years)
            sigma = self.smile_vol(atm, forward, contract.strike, years)
            prices = black76_price(forward, contract.strike, years, self.rate, sigma, contract.is_call)
        with self._lock:
            if len(self._prices) >= PRICE_CACHE_SIZE:
                self._prices.pop(next(iter(self._prices)))
            self._prices[key] = prices
        return prices

    # --- quantities ----------------------------------------------------------------------------
    def _moneyness(self, contract: Contract, day: date) -> tuple[float, float, float]:
        """(z, tau days, spot close) of an option at the close of ``day``."""
        assert contract.expiry is not None
        spot = self.paths.close(day, contract.series)
        tau = max(0, (contract.expiry - day).days)
        years = max(tau, 1) / 365
        vol = float(self.atm_vol(contract.series, self.paths.close(day, VIX_TRADINGSYMBOL), years))
        z = math.log(contract.strike / spot) / (vol * math.sqrt(years)) if contract.kind == "option" else 0.0
        return z, float(tau), spot

    def oi_contracts(self, contract: Contract, day: date) -> int:
        """Open interest (contracts) at the close of ``day``."""
        peak = float(self.underlyings[contract.series]["peak_oi_contracts"])
        z, tau, spot = self._moneyness(contract, day)
        life = 0.25 + 0.75 * math.exp(-tau / 30)
        noise = 0.8 + 0.4 * unit(self.seed, "oi", contract.instrument_token, day.toordinal())
        if contract.kind == "future":
            # Grows towards expiry, then rolls over: in its last ~7 days positions move to the next month (NSE's
            # NIFTY futures, one session before the March 2026 expiry: 64 % rolled), so the near's OI falls.
            rolling = min(1.0, (tau + 0.5) / 7) ** 1.5
            return int(peak * 1.2 * math.exp(-tau / 25) * rolling * noise)
        out_of_money = (contract.strike >= spot) == contract.is_call
        return int(peak * math.exp(-0.5 * (z / 1.6) ** 2) * (1.3 if out_of_money else 0.5) * life * noise)

    def volume_contracts(self, contract: Contract, day: date) -> int:
        """Contracts traded over the whole of ``day``."""
        z, tau, _ = self._moneyness(contract, day)
        turnover = 0.15 if contract.kind == "future" else (0.3 + 3.0 * math.exp(-tau / 4)) * math.exp(-0.1 * z * z)
        noise = 0.7 + 0.6 * unit(self.seed, "volume", contract.instrument_token, day.toordinal())
        return int(self.oi_contracts(contract, day) * turnover * noise)

    # --- quotes --------------------------------------------------------------------------------
    def quote(self, contract: Contract, ref: MinuteRef) -> dict[str, Any] | None:
        if contract.expiry is not None and ref.calendar_day > contract.expiry:
            return None  # Kite drops expired contracts
        if contract.kind == "index":
            return self._index_quote(contract, ref)
        if contract.kind == "stock":
            return self._stock_quote(contract, ref)
        return self._derivative_quote(contract, ref)

    def _base(self, contract: Contract, ref: MinuteRef) -> dict[str, Any]:
        return {
            "instrument_token": contract.instrument_token,
            "timestamp": ref.timestamp,
            "last_trade_time": None,
            "last_price": 0.0,
            "last_quantity": 0,
            "buy_quantity": 0,
            "sell_quantity": 0,
            "volume": 0,
            "average_price": 0.0,
            "oi": 0,
            "oi_day_high": 0,
            "oi_day_low": 0,
            "net_change": 0,
            "lower_circuit_limit": 0.0,
            "upper_circuit_limit": 0.0,
            "ohlc": {"open": 0.0, "high": 0.0, "low": 0.0, "close": 0.0},
            "depth": {"buy": _zero_depth(), "sell": _zero_depth()},
        }

    def _index_quote(self, contract: Contract, ref: MinuteRef) -> dict[str, Any]:
        path = self._series_path(ref.day, contract.series)[: ref.index + 1]
        result = self._base(contract, ref)
        result["last_price"] = round(float(path[-1]), 2)
        result["ohlc"] = {
            "open": round(float(path[0]), 2),
            "high": round(float(path.max()), 2),
            "low": round(float(path.min()), 2),
            "close": round(self.paths.close(previous_trading_day(ref.day), contract.series), 2),
        }
        return result

    def _book(
        self, contract: Contract, ref: MinuteRef, fair: float, half_spread: float
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]:
        tick, lot = contract.tick_size, max(1, contract.lot_size)
        bid = math.floor((fair - half_spread) / tick) * tick
        ask = max(math.ceil((fair + half_spread) / tick) * tick, bid + tick)
        sides: dict[str, list[dict[str, Any]]] = {"buy": [], "sell": []}
        totals = {"buy": 0, "sell": 0}
        for side, best, sign in (("buy", bid, -1), ("sell", ask, 1)):
            price = best
            for level in range(DEPTH_LEVELS):
                draw = unit(self.seed, "depth", contract.instrument_token, ref.day.toordinal(), ref.index, side, level)
                if price < tick - 1e-9:
                    sides[side].append({"price": 0.0, "quantity": 0, "orders": 0})
                    continue
                lots = 1 + int(draw * 40)
                orders = 1 + int(draw * 997) % min(12, lots)
                sides[side].append({"price": round(price, 2), "quantity": lots * lot, "orders": orders})
                totals[side] += lots * lot
                price += sign * tick * (1 + int(draw * 3))
        depth_factor = 5 + int(20 * unit(self.seed, "book", contract.instrument_token, ref.day.toordinal(), ref.index))
        return sides["buy"], sides["sell"], totals["buy"] * depth_factor, totals["sell"] * depth_factor

    def _traded(
        self, contract: Contract, ref: MinuteRef, prices: NDArray[np.float64], day_volume: int, stale_minutes: int
    ) -> dict[str, Any]:
        """Fields that depend on trading so far today: last trade, volume, VWAP, OHLC."""
        lot = max(1, contract.lot_size)
        shares = np.array([_cumulative_share(i, ref.steps) for i in range(ref.index + 1)])
        cumulative = np.floor(day_volume * shares).astype(np.int64)
        volume = int(cumulative[-1]) * lot
        previous_day = previous_trading_day(ref.day)
        if volume == 0:
            close = session_close(previous_day).astimezone(IST).replace(tzinfo=None)
            return {"volume": 0, "last_trade_time": close - timedelta(seconds=5), "traded": False}
        traded_at = max(0, ref.index - stale_minutes)
        fair = float(prices[traded_at])
        draw = unit(self.seed, "ltp", contract.instrument_token, ref.day.toordinal(), traded_at) - 0.5
        # Trades print around fair value: within +/-2 ticks, or +/-0.2 % for pricier options.
        traded_price = fair + draw * max(4 * contract.tick_size, (0.004 * fair if contract.kind == "option" else 0.0))
        increments = np.diff(cumulative, prepend=0)
        seen = prices[: ref.index + 1]
        seconds = 1 + int(30 * unit(self.seed, "ltt", contract.instrument_token, ref.day.toordinal(), ref.index))
        trade_time = ref.timestamp - timedelta(minutes=ref.index - traded_at, seconds=seconds)
        opened = session_open(ref.day).astimezone(IST).replace(tzinfo=None)
        return {
            "traded": True,
            "volume": volume,
            "last_price": max(contract.tick_size, _tick(traded_price, contract.tick_size)),
            "last_trade_time": max(trade_time, opened),
            "average_price": max(
                contract.tick_size,
                _tick(float((seen * increments).sum() / max(1, increments.sum())), contract.tick_size),
            ),
            "ohlc": {
                "open": max(contract.tick_size, _tick(float(seen[0]), contract.tick_size)),
                "high": max(contract.tick_size, _tick(float(seen.max()), contract.tick_size)),
                "low": max(contract.tick_size, _tick(float(seen.min()), contract.tick_size)),
            },
            "last_quantity": lot * (1 + int(10 * unit(self.seed, "lq", contract.instrument_token, ref.index))),
        }

    def _derivative_quote(self, contract: Contract, ref: MinuteRef) -> dict[str, Any]:
        prices = self.price_path(contract, ref.day)
        previous_day = previous_trading_day(ref.day)
        previous_price = float(self.price_path(contract, previous_day)[-1])
        previous_close = max(contract.tick_size, _tick(previous_price, contract.tick_size))
        fair = float(prices[ref.index])
        lot = max(1, contract.lot_size)
        z, _, _ = self._moneyness(contract, ref.day)
        far = abs(z) > 2
        stale = (
            int(8 * unit(self.seed, "stale", contract.instrument_token, ref.day.toordinal(), ref.index)) if far else 0
        )
        traded = self._traded(contract, ref, prices, self.volume_contracts(contract, ref.day), stale)
        result = self._base(contract, ref)
        result["volume"] = traded["volume"]
        result["last_trade_time"] = traded["last_trade_time"]
        result["last_price"] = previous_close
        if traded["traded"]:
            for field in ("last_price", "average_price", "last_quantity"):
                result[field] = traded[field]
            result["ohlc"] = traded["ohlc"]
        result["ohlc"]["close"] = previous_close
        open_oi = self.oi_contracts(contract, previous_day)
        close_oi = self.oi_contracts(contract, ref.day)
        progress = ((ref.index + 1) / ref.steps) ** 0.7
        oi = round(open_oi + (close_oi - open_oi) * min(1.0, progress))
        result["oi"] = oi * lot
        result["oi_day_high"] = max(oi, open_oi) * lot
        result["oi_day_low"] = min(oi, open_oi) * lot
        if contract.kind == "future":
            half = contract.tick_size * (1 + int(2 * unit(self.seed, "spread", contract.instrument_token, ref.index)))
            result["lower_circuit_limit"] = _tick(previous_close * 0.9, contract.tick_size)
            result["upper_circuit_limit"] = _tick(previous_close * 1.1, contract.tick_size)
        else:
            half = max(contract.tick_size, fair * (0.002 + 0.004 * min(abs(z), 4)))
            spot = self.paths.close(previous_day, contract.series)
            result["lower_circuit_limit"] = 0.05
            result["upper_circuit_limit"] = _tick(previous_close * 2 + 0.01 * spot, 0.05)
        buy, sell, buy_quantity, sell_quantity = self._book(contract, ref, fair, half)
        result["depth"] = {"buy": buy, "sell": sell}
        result["buy_quantity"], result["sell_quantity"] = buy_quantity, sell_quantity
        return result

    def _stock_quote(self, contract: Contract, ref: MinuteRef) -> dict[str, Any]:
        prices = self._series_path(ref.day, contract.series)
        previous_close = _tick(self.paths.close(previous_trading_day(ref.day), contract.series), contract.tick_size)
        day_volume = int(2e6 * (0.5 + unit(self.seed, "stock-volume", contract.instrument_token, ref.day.toordinal())))
        traded = self._traded(contract, ref, prices, day_volume, 0)
        result = self._base(contract, ref)
        for field in ("volume", "last_trade_time", "last_price", "average_price", "last_quantity"):
            result[field] = traded.get(field, result[field])
        if not traded["traded"]:
            result["last_price"] = previous_close
        result["ohlc"] = {**traded.get("ohlc", result["ohlc"]), "close": previous_close}
        result["lower_circuit_limit"] = _tick(previous_close * 0.8, contract.tick_size)
        result["upper_circuit_limit"] = _tick(previous_close * 1.2, contract.tick_size)
        fair = float(prices[ref.index])
        buy, sell, buy_quantity, sell_quantity = self._book(contract, ref, fair, contract.tick_size)
        result["depth"] = {"buy": buy, "sell": sell}
        result["buy_quantity"], result["sell_quantity"] = buy_quantity, sell_quantity
        return result
