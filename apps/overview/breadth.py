"""Market breadth and percentage change. Pure Python, no Django.

For each stock, change = last price - previous close (Kite ``ohlc.close``). A stock whose change rounds to
0.00 rupees (|change| < half a paisa) is unchanged; float noise never makes it an advance or a decline.
A/D ratio = advances / declines, None when there are no declines. Net breadth = advances - declines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UNCHANGED_EPSILON = 0.005
"""Half a paisa: NSE prices have two decimals, so smaller differences are representation noise."""


@dataclass(frozen=True)
class Breadth:
    advances: int
    declines: int
    unchanged: int
    missing: tuple[str, ...]
    """Universe members without a usable price (no quote, or no previous close)."""

    @property
    def counted(self) -> int:
        return self.advances + self.declines + self.unchanged

    @property
    def ad_ratio(self) -> float | None:
        return self.advances / self.declines if self.declines else None

    @property
    def net(self) -> int:
        return self.advances - self.declines


def price_change(last: float, previous_close: float) -> float:
    return last - previous_close


def pct_change(last: float, previous_close: float | None) -> float | None:
    """Percent change vs the previous close; None without a positive previous close."""
    if not previous_close or previous_close <= 0:
        return None
    return (last - previous_close) / previous_close * 100.0


def breadth_compute(prices: Mapping[str, tuple[float, float | None]], *, universe: Iterable[str]) -> Breadth:
    """Count advances/declines/unchanged over ``universe`` from ``symbol → (last, previous close)``."""
    advances = declines = unchanged = 0
    missing: list[str] = []
    for symbol in universe:
        pair = prices.get(symbol)
        if pair is None or not pair[1] or pair[1] <= 0:
            missing.append(symbol)
            continue
        change = price_change(pair[0], pair[1])
        if abs(change) < UNCHANGED_EPSILON:
            unchanged += 1
        elif change > 0:
            advances += 1
        else:
            declines += 1
    return Breadth(advances=advances, declines=declines, unchanged=unchanged, missing=tuple(missing))
