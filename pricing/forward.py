"""Usable prices, the forward per expiry, ATM strike and ATM IV, expected move.

Conventions: docs/conventions.md §2.2, §3.5, §3.6.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing.black76 import as_bool, as_float

FloatArray = NDArray[np.float64]
MAX_RELATIVE_SPREAD = 0.30  # India VIX's rule: a quote is usable when (ask - bid) <= 30 % of the mid
PARITY_STRIKES = 5

SOURCE_MID = "mid"
SOURCE_LAST = "last"
SOURCE_NONE = "none"

FORWARD_PARITY = "parity"
FORWARD_FUTURE = "future"
FORWARD_CARRY = "carry"


def usable_price(
    last: ArrayLike, bid: ArrayLike, ask: ArrayLike, volume: ArrayLike
) -> tuple[FloatArray, NDArray[np.str_], NDArray[np.bool_]]:
    """Pick the price to use per contract: (price, source, usable).

    The mid when bid and ask are both > 0, not crossed, and ask - bid <= 30 % of the mid (source "mid");
    otherwise the last price when the contract traded in the session (volume > 0; source "last");
    otherwise NaN (source "none"). usable = traded in the session or a tight two-sided quote: a last price
    without volume is an earlier session's (or, in an end-of-day file, the exchange's theoretical settlement),
    so it is no evidence of today's market.
    """
    lp, b, a, v = np.broadcast_arrays(as_float(last), as_float(bid), as_float(ask), as_float(volume))
    mid = 0.5 * (b + a)
    with np.errstate(invalid="ignore"):
        tight = (b > 0) & (a > 0) & (a >= b) & ((a - b) <= MAX_RELATIVE_SPREAD * mid)
        traded = (v > 0) & np.isfinite(lp) & (lp > 0)
    price = np.where(tight, mid, np.where(traded, lp, np.nan))
    source = np.where(tight, SOURCE_MID, np.where(traded, SOURCE_LAST, SOURCE_NONE))
    return price, source, tight | traded


def parity_forward(
    strikes: ArrayLike,
    call_prices: ArrayLike,
    put_prices: ArrayLike,
    usable: ArrayLike,
    spot: float,
    t: float,
    r: float,
) -> float:
    """Median of K + e^{rt}(C - P) over the (up to) five strikes nearest the spot where both legs are usable.

    usable is the caller's per-strike verdict that both the call and the put traded in the session or carry a
    tight two-sided quote (``usable_price``). NaN when no strike qualifies.
    """
    k = as_float(strikes).ravel()
    c = as_float(call_prices).ravel()
    p = as_float(put_prices).ravel()
    ok = as_bool(usable).ravel() & np.isfinite(k) & np.isfinite(c) & np.isfinite(p)
    if not ok.any() or not math.isfinite(spot):
        return math.nan
    k, c, p = k[ok], c[ok], p[ok]
    # Nearest first; equal distances are broken by the lower strike so the choice never depends on input order.
    order = np.lexsort((k, np.abs(k - spot)))[:PARITY_STRIKES]
    forwards = k[order] + math.exp(r * t) * (c[order] - p[order])
    return float(np.median(forwards))


def resolve_forward(
    strikes: ArrayLike,
    call_prices: ArrayLike,
    put_prices: ArrayLike,
    usable: ArrayLike,
    spot: float,
    t: float,
    r: float,
    future_price: float | None = None,
) -> tuple[float, str]:
    """The project's forward rule, as (forward, source): the parity forward ("parity"), else the future of the
    same expiry ("future"), else spot·e^{rt} ("carry")."""
    forward = parity_forward(strikes, call_prices, put_prices, usable, spot, t, r)
    if math.isfinite(forward):
        return forward, FORWARD_PARITY
    if future_price is not None and math.isfinite(future_price) and future_price > 0:
        return float(future_price), FORWARD_FUTURE
    return spot * math.exp(r * max(t, 0.0)), FORWARD_CARRY


def atm_strike(strikes: ArrayLike, forward: float) -> float:
    """The listed strike nearest the forward; an exact tie goes to the higher strike. NaN without strikes."""
    k = as_float(strikes).ravel()
    k = k[np.isfinite(k)]
    if k.size == 0 or not math.isfinite(forward):
        return math.nan
    distance = np.abs(k - forward)
    return float(k[distance == distance.min()].max())


def atm_iv(strikes: ArrayLike, call_iv: ArrayLike, put_iv: ArrayLike, forward: float) -> float:
    """IV of the out-of-the-money option at the ATM strike: the call when strike >= forward, else the put."""
    k = as_float(strikes).ravel()
    atm = atm_strike(k, forward)
    if not math.isfinite(atm):
        return math.nan
    where = int(np.flatnonzero(k == atm)[0])
    side = as_float(call_iv).ravel() if atm >= forward else as_float(put_iv).ravel()
    return float(side[where])


def expected_move(forward: float, atm_iv: float, t: float) -> float:
    """The 1-sigma move F·sigma·√t in index points (about 1.2533 times the ATM straddle; §3.6)."""
    if t <= 0:
        return 0.0
    return float(forward * atm_iv * math.sqrt(t))
