"""Per-quote analytics over a whole minute at once: analysed premium, forward per expiry, IV, greeks,
data-quality flags and OI build-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

import pricing
from apps.analytics.metrics.buildup import classify_buildup
from apps.analytics.services.frame import ChainFrame
from apps.marketdata.models import IvSource

STALE_TRADE_SECONDS = 300
"""A last trade older than this before the minute flags the quote ``stale_last_trade``."""
WIDE_SPREAD = 0.30
"""Spread above this fraction of the mid flags ``wide_spread`` (India VIX's quote rule)."""


class Flag:
    STALE_LAST_TRADE = "stale_last_trade"
    ZERO_BID = "zero_bid"
    ZERO_ASK = "zero_ask"
    CROSSED_SPREAD = "crossed_spread"
    WIDE_SPREAD = "wide_spread"
    BELOW_INTRINSIC = "below_intrinsic"
    IV_UNSOLVABLE = "iv_unsolvable"


@dataclass
class ExpiryInputs:
    expiry: date
    t: float
    spot: float
    forward: float
    forward_source: str
    """parity, future or carry: which step of the forward rule gave ``forward``."""


@dataclass
class QuoteResults:
    price: NDArray
    iv_source: NDArray
    usable: NDArray
    t: NDArray
    forward: NDArray
    iv: NDArray
    iv_error: NDArray
    greeks: dict[str, NDArray]
    flags: list[list[str]]
    buildup: NDArray
    expiries: list[ExpiryInputs] = field(default_factory=list)


@dataclass
class StrikeLegs:
    """One expiry's rows paired by strike: ``call``/``put`` hold row indices into the frame, -1 where absent."""

    strikes: NDArray
    call: NDArray
    put: NDArray

    def take(self, values: NDArray, *, leg: str) -> NDArray:
        index = self.call if leg == "call" else self.put
        out = np.full(index.shape, np.nan, dtype=float)
        present = index >= 0
        out[present] = values[index[present]]
        return out

    @property
    def both(self) -> NDArray:
        return (self.call >= 0) & (self.put >= 0)


def strike_legs(frame: ChainFrame, expiry_position: int) -> StrikeLegs:
    rows = np.flatnonzero(frame.expiry_index == expiry_position)
    strikes = np.unique(frame.strike[rows])
    call = np.full(strikes.shape, -1, dtype=np.int64)
    put = np.full(strikes.shape, -1, dtype=np.int64)
    slot = np.searchsorted(strikes, frame.strike[rows])
    calls = frame.is_call[rows]
    call[slot[calls]] = rows[calls]
    put[slot[~calls]] = rows[~calls]
    return StrikeLegs(strikes=strikes, call=call, put=put)


def analysed_prices(frame: ChainFrame) -> tuple[NDArray, NDArray, NDArray]:
    """(price, iv_source, usable) per row: mid/last by the 30 % rule; bhavcopy rows use the settlement price,
    usable for the forward only when the contract traded (docs/conventions.md §2.2)."""
    price, source, usable = pricing.usable_price(frame.last, frame.bid, frame.ask, frame.volume)
    price = np.asarray(price, dtype=float).copy()
    source = np.asarray(source, dtype=object).copy()
    usable = np.asarray(usable, dtype=bool).copy()
    settle = frame.settlement
    price[settle] = frame.last[settle]
    source[settle] = IvSource.SETTLEMENT.value
    usable[settle] = frame.volume[settle] > 0
    bad = ~(np.isfinite(price) & (price > 0))
    price[bad] = np.nan
    source[bad] = ""
    return price, source, usable


def expiry_inputs(
    frame: ChainFrame,
    *,
    price: NDArray,
    usable: NDArray,
    t_by_expiry: dict[date, float],
    spot: float,
    rate: float,
    futures: dict[date, float],
) -> list[ExpiryInputs]:
    """The forward of each expiry by the docs/conventions.md §2.2 rule (parity → same-expiry future → carry)."""
    out = []
    for position, expiry in enumerate(frame.expiries):
        legs = strike_legs(frame, position)
        t = t_by_expiry[expiry]
        both = legs.both
        call_price = legs.take(price, leg="call")
        put_price = legs.take(price, leg="put")
        ok = (
            both
            & legs.take(usable.astype(float), leg="call").astype(bool)
            & legs.take(usable.astype(float), leg="put").astype(bool)
        )
        ok &= np.isfinite(call_price) & np.isfinite(put_price)
        forward, source = pricing.resolve_forward(
            legs.strikes, call_price, put_price, ok, spot, t, rate, future_price=futures.get(expiry)
        )
        out.append(ExpiryInputs(expiry=expiry, t=t, spot=spot, forward=float(forward), forward_source=str(source)))
    return out


def quotes_analyse(
    frame: ChainFrame, *, t_by_expiry: dict[date, float], spot: float, rate: float, futures: dict[date, float]
) -> QuoteResults:
    """Everything per quote for the minute, vectorised over all rows of all expiries."""
    price, source, usable = analysed_prices(frame)
    inputs = expiry_inputs(
        frame, price=price, usable=usable, t_by_expiry=t_by_expiry, spot=spot, rate=rate, futures=futures
    )
    forward = np.array([inputs[i].forward for i in frame.expiry_index], dtype=float)
    t = np.array([inputs[i].t for i in frame.expiry_index], dtype=float)

    iv, reason = pricing.implied_volatility_with_reason(price, forward, frame.strike, t, rate, frame.is_call)
    iv = np.asarray(iv, dtype=float)
    reason = np.asarray(reason, dtype=object).copy()
    reason[np.isnan(price)] = "no_price"
    reason[np.isfinite(iv)] = ""
    greeks = {
        name: np.where(np.isfinite(iv), np.asarray(values, dtype=float), np.nan)
        for name, values in pricing.black76_greeks(
            forward, frame.strike, t, rate, np.where(np.isfinite(iv), iv, 0.2), frame.is_call
        ).items()
    }

    discount = np.exp(-rate * np.maximum(t, 0.0))
    intrinsic = discount * np.where(
        frame.is_call, np.maximum(forward - frame.strike, 0.0), np.maximum(frame.strike - forward, 0.0)
    )
    quoted = ~frame.settlement
    two_sided = (frame.bid > 0) & (frame.ask > 0)
    mid = (frame.bid + frame.ask) / 2.0
    with np.errstate(invalid="ignore"):
        checks = {
            Flag.STALE_LAST_TRADE: frame.trade_age_s > STALE_TRADE_SECONDS,
            Flag.ZERO_BID: quoted & ~(frame.bid > 0),
            Flag.ZERO_ASK: quoted & ~(frame.ask > 0),
            Flag.CROSSED_SPREAD: quoted & two_sided & (frame.bid > frame.ask),
            Flag.WIDE_SPREAD: quoted
            & two_sided
            & (frame.ask >= frame.bid)
            & (frame.ask - frame.bid > WIDE_SPREAD * mid),
            Flag.BELOW_INTRINSIC: (reason == "below_intrinsic") | (price < intrinsic - 1e-9),
            Flag.IV_UNSOLVABLE: ~np.isfinite(iv),
        }
    flags: list[list[str]] = [[] for _ in range(len(frame))]
    for name, hit in checks.items():
        for row in np.flatnonzero(hit):
            flags[row].append(name)

    buildup = classify_buildup(frame.last - frame.close, frame.oi_change, frame.oi, frame.tick)
    return QuoteResults(
        price=price,
        iv_source=source,
        usable=usable,
        t=t,
        forward=forward,
        iv=iv,
        iv_error=reason,
        greeks=greeks,
        flags=flags,
        buildup=buildup,
        expiries=inputs,
    )
