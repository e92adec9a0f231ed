"""Seeded price paths of every simulated series (indices, INDIA VIX, stocks).

Daily closes follow a mean-reverting log random walk with a common market factor, one step per trading day
from ``anchor_date``: ``x_d = m + phi (x_{d-1} - m) + sigma (rho z_common + sqrt(1 - rho^2) z_own)``. Mean
reversion keeps long simulations inside the listed strike range. Within a day the path is a Brownian bridge
from the open (previous close plus a gap) to that day's close, one point per session minute plus the close.
Every draw comes from a generator seeded with (seed, purpose, day), so a value depends only on the seed and the
day: never on call order, process or which other instruments were asked for. Pure numpy, no Django.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from numpy.typing import NDArray

from apps.brokers.simulated.universe import VIX_TRADINGSYMBOL, market_data
from apps.market.calendar import is_trading_day, next_trading_day, previous_trading_day, session_minutes

MEAN_REVERSION = 0.98
VIX_MEAN_REVERSION = 0.9
GAP_SHARE = 0.35
"""Share of the day's move that happens in the opening gap."""
INTRADAY_NOISE = 0.7


@dataclass(frozen=True)
class Series:
    name: str
    level: float
    daily_vol: float
    correlation: float
    mean_reversion: float


def unit(*parts: object) -> float:
    """A deterministic uniform number in [0, 1) from ``parts`` (stable across processes, unlike ``hash``)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


@cache
def all_series() -> tuple[Series, ...]:
    data = market_data()
    series = [
        Series(symbol, float(spec["level"]), float(spec["daily_vol"]), min(0.95, 0.85 * float(spec["beta"])), 0.98)
        for symbol, spec in data["underlyings"].items()
    ]
    vix = data["vix"]
    series.append(Series(VIX_TRADINGSYMBOL, float(vix["level"]), float(vix["daily_vol"]), -0.7, VIX_MEAN_REVERSION))
    series += [
        Series(index["tradingsymbol"], float(index["level"]), float(index["daily_vol"]), 0.8, MEAN_REVERSION)
        for index in data["indices"]
    ]
    series += [Series(stock["tradingsymbol"], float(stock["price"]), 0.015, 0.45, 0.97) for stock in data["stocks"]]
    return tuple(series)


class MarketPaths:
    """Daily closes and minute paths for one seed. Thread-safe; caches days as they are computed."""

    def __init__(self, seed: int):
        self.seed = seed
        self.series = all_series()
        self.column = {series.name: i for i, series in enumerate(self.series)}
        self._log_level = np.log([series.level for series in self.series])
        self._vol = np.array([series.daily_vol for series in self.series])
        self._rho = np.array([series.correlation for series in self.series])
        self._phi = np.array([series.mean_reversion for series in self.series])
        self.anchor = date.fromisoformat(market_data()["anchor_date"])
        self._closes: dict[date, NDArray[np.float64]] = {}
        self._days: dict[date, NDArray[np.float64]] = {}
        self._lock = threading.Lock()

    def _shock(self, day: date) -> NDArray[np.float64]:
        rng = np.random.default_rng([self.seed, 1, day.toordinal()])
        common = rng.standard_normal()
        own = rng.standard_normal(len(self.series))
        result: NDArray[np.float64] = self._vol * (self._rho * common + np.sqrt(1 - self._rho**2) * own)
        return result

    def log_close(self, day: date) -> NDArray[np.float64]:
        """Log closing levels of every series on trading day ``day`` (the anchor level on or before the anchor)."""
        if day <= self.anchor:
            return self._log_level
        with self._lock:
            if day in self._closes:
                return self._closes[day]
            known = [d for d in self._closes if d < day]
            current = max(known) if known else self.anchor
            values = self._closes.get(current, self._log_level)
            while current < day:
                current = next_trading_day(current)
                values = self._log_level + self._phi * (values - self._log_level) + self._shock(current)
                self._closes[current] = values
            return self._closes[day]

    def close(self, day: date, name: str) -> float:
        return math.exp(float(self.log_close(day)[self.column[name]]))

    def day_path(self, day: date) -> NDArray[np.float64]:
        """Levels of every series at each minute of trading day ``day``: row i is minute i after the open,
        the last row is the close. Shape (minutes + 1, series)."""
        if not is_trading_day(day):
            raise ValueError(f"{day.isoformat()} is not a trading day; the simulated market has no session then.")
        with self._lock:
            cached = self._days.get(day)
        if cached is not None:
            return cached
        previous = self.log_close(previous_trading_day(day))
        target = self.log_close(day)
        steps = len(session_minutes(day))
        rng = np.random.default_rng([self.seed, 2, day.toordinal()])
        opening = previous + GAP_SHARE * (target - previous) + 0.1 * self._vol * rng.standard_normal(len(self.series))
        common = rng.standard_normal((steps, 1))
        own = rng.standard_normal((steps, len(self.series)))
        increments = (self._rho * common + np.sqrt(1 - self._rho**2) * own) * (
            INTRADAY_NOISE * self._vol / math.sqrt(steps)
        )
        walk = np.vstack([np.zeros(len(self.series)), np.cumsum(increments, axis=0)])
        share = np.linspace(0.0, 1.0, steps + 1)[:, None]
        bridge = walk - share * walk[-1]
        path: NDArray[np.float64] = np.exp(opening + share * (target - opening) + bridge)
        with self._lock:
            if len(self._days) > 16:
                self._days.pop(next(iter(self._days)))
            self._days[day] = path
        return path
