"""India VIX by NSE's white-paper method (docs/conventions.md §2.3): model-free variance of two monthly expiries.

Per expiry j (T in years from minutes, R the matching rate, F the future of that expiry):
    K0 = the listed strike at or immediately below F;
    strikes: out-of-the-money puts below K0 and calls above it, walking outward from K0 until two consecutive
    strikes have a zero bid (CBOE's rule, which the white paper follows); a lone zero bid stays in range;
    Q(K) = mid of the OTM put for K < K0, of the OTM call for K > K0, the average of both at K0;
    a quote is appropriate when bid > 0, ask >= bid and (ask - bid) <= 30 % of the mid; the others are
    filled by a natural cubic spline through the appropriate mids (calls on K >= K0, puts on K <= K0),
    and strikes outside the range of appropriate quotes are dropped rather than extrapolated;
    sigma_j² = (2/T) Σ ΔK/K² e^{RT} Q(K) - (1/T)(F/K0 - 1)², ΔK central (one-sided at the ends).
The two variances are interpolated in total variance to 30 days on the minute clock and annualised.

End-of-day chains (``VixSettled``) carry one price per leg instead of a bid and an ask: the exchange's settlement
price where the option traded, NaN where it did not. Their Q(K) is that price, strikes without one are dropped
(never filled: an untraded settlement price is the exchange's theoretical value), and there is no walk, since a
day without a trade says nothing about the bids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline

from pricing.forward import MAX_RELATIVE_SPREAD
from pricing.year_fraction import MINUTES_PER_YEAR

FloatArray = NDArray[np.float64]
MINUTES_30_DAYS = 43_200.0
ZERO_BIDS_TO_STOP = 2
"""A wing ends at the first of this many consecutive strikes with a zero bid (CBOE's strike selection)."""


@dataclass(frozen=True)
class VixChain:
    """One expiry's best bids and offers, aligned by strike, with its future, time and rate.

    A leg with NaN bid and ask was not quoted (it is skipped); a bid of 0 or below is a zero bid."""

    strikes: ArrayLike
    call_bid: ArrayLike
    call_ask: ArrayLike
    put_bid: ArrayLike
    put_ask: ArrayLike
    forward: float
    minutes_to_expiry: float
    rate: float


@dataclass(frozen=True)
class VixSettled:
    """One expiry's end-of-day prices, aligned by strike: the settlement price of each leg that traded, else NaN."""

    strikes: ArrayLike
    call_price: ArrayLike
    put_price: ArrayLike
    forward: float
    minutes_to_expiry: float
    rate: float


@dataclass(frozen=True)
class VixTerm:
    """The per-expiry result: variance, K0, the strikes used with their Q(K) and which were spline-filled.

    ``put_wing_closed``/``call_wing_closed``: the wing ended at two consecutive zero bids, i.e. where the market's
    bids end. False means the strikes given ran out first (the chain may be cut short). Always True for a
    ``VixSettled`` chain, which holds the exchange's whole listing."""

    variance: float
    k0: float
    t: float
    minutes_to_expiry: float
    strikes: FloatArray = field(repr=False)
    quotes: FloatArray = field(repr=False)
    filled: NDArray[np.bool_] = field(repr=False)
    put_wing_closed: bool = True
    call_wing_closed: bool = True


@dataclass(frozen=True)
class VixResult:
    vix: float
    near: VixTerm
    next: VixTerm
    spline: bool


def _floats(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64).ravel()


def _validate(
    label: str, strikes: FloatArray, columns: Sequence[FloatArray], forward: float, minutes: float, rate: float
) -> None:
    if any(c.size != strikes.size for c in columns) or strikes.size < 3:
        raise ValueError(f"{label}: strikes and the quote columns must have the same length (at least 3)")
    if not np.all(np.isfinite(strikes)) or np.any(np.diff(strikes) <= 0) or strikes[0] <= 0:
        raise ValueError(f"{label}: strikes must be positive, finite and strictly increasing")
    if not (math.isfinite(forward) and forward > 0):
        raise ValueError(f"{label}: forward must be a positive number, got {forward}")
    if not (math.isfinite(minutes) and minutes > 0):
        raise ValueError(f"{label}: minutes_to_expiry must be positive, got {minutes}")
    if not math.isfinite(rate):
        raise ValueError(f"{label}: rate must be finite, got {rate}")
    if forward < strikes[0]:
        raise ValueError(f"{label}: no listed strike at or below the forward {forward}")


def _walk(bid: FloatArray, ask: FloatArray, order: range) -> tuple[list[int], bool]:
    """The strike indices of one wing, outward from K0, up to (not including) two consecutive zero bids.

    Legs that were not quoted (NaN bid and ask) are skipped. Returns the indices and whether the zero bids
    were reached (True) or the strikes ran out first (False)."""
    kept: list[int] = []
    zeros: list[int] = []
    for i in order:
        if math.isnan(bid[i]) and math.isnan(ask[i]):
            continue
        if bid[i] > 0:
            kept.extend(zeros)  # a lone zero bid inside the wing: kept, to be filled or dropped below
            zeros.clear()
            kept.append(i)
            continue
        zeros.append(i)
        if len(zeros) == ZERO_BIDS_TO_STOP:
            return kept, True
    return kept + zeros, False


def _side_quotes(
    strikes: FloatArray, bid: FloatArray, ask: FloatArray, spline: bool
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Mid per strike for one side, with inappropriate quotes filled (NaN where no value can be given)."""
    mid = 0.5 * (bid + ask)
    with np.errstate(invalid="ignore"):
        appropriate = (bid > 0) & (ask >= bid) & ((ask - bid) <= MAX_RELATIVE_SPREAD * mid)
        if not spline:
            # Raw mids for every two-sided quote, however wide; one-sided or missing quotes are dropped.
            usable = (bid > 0) & (ask >= bid)
            return np.where(usable, mid, np.nan), np.zeros(strikes.size, dtype=bool)
    quotes = np.where(appropriate, mid, np.nan)
    inside = np.zeros(strikes.size, dtype=bool)
    if appropriate.sum() >= 2:
        known = strikes[appropriate]
        inside = ~appropriate & (strikes > known.min()) & (strikes < known.max())
        if inside.any():
            curve = CubicSpline(known, mid[appropriate], bc_type="natural")
            quotes[inside] = curve(strikes[inside])
            # A spline through sparse knots can swing below zero; such a value is no price: drop the strike.
            bad = inside & ~(quotes > 0)
            quotes[bad] = np.nan
            inside &= ~bad
    return quotes, inside


def _k0_index(strikes: FloatArray, forward: float) -> int:
    return int(np.searchsorted(strikes, forward, side="right")) - 1


def _variance(
    *, label: str, strikes: FloatArray, quotes: FloatArray, k0_index: int, forward: float, t: float, rate: float
) -> tuple[float, NDArray[np.bool_]]:
    keep = np.isfinite(quotes)
    if not keep[k0_index]:
        raise ValueError(f"{label}: no usable call and put quote at K0 = {strikes[k0_index]:g}")
    used, q = strikes[keep], quotes[keep]
    if used.size < 2:
        raise ValueError(f"{label}: fewer than two strikes carry usable quotes")
    delta_k = np.empty_like(used)
    delta_k[1:-1] = 0.5 * (used[2:] - used[:-2])
    delta_k[0] = used[1] - used[0]
    delta_k[-1] = used[-1] - used[-2]
    contribution = float(np.sum(delta_k / used**2 * q)) * math.exp(rate * t)
    k0 = float(strikes[k0_index])
    return 2.0 / t * contribution - (forward / k0 - 1.0) ** 2 / t, keep


def _quoted_term(chain: VixChain, *, label: str, spline: bool) -> VixTerm:
    strikes = _floats(chain.strikes)
    call_bid, call_ask, put_bid, put_ask = (
        _floats(a) for a in (chain.call_bid, chain.call_ask, chain.put_bid, chain.put_ask)
    )
    forward, minutes, rate = float(chain.forward), float(chain.minutes_to_expiry), float(chain.rate)
    _validate(label, strikes, (call_bid, call_ask, put_bid, put_ask), forward, minutes, rate)
    t = minutes / MINUTES_PER_YEAR
    k0_index = _k0_index(strikes, forward)

    puts, put_closed = _walk(put_bid, put_ask, range(k0_index - 1, -1, -1))
    calls, call_closed = _walk(call_bid, call_ask, range(k0_index + 1, strikes.size))
    put_side = np.array(sorted([*puts, k0_index]), dtype=np.int64)
    call_side = np.array([k0_index, *calls], dtype=np.int64)
    put_q, put_filled = _side_quotes(strikes[put_side], put_bid[put_side], put_ask[put_side], spline)
    call_q, call_filled = _side_quotes(strikes[call_side], call_bid[call_side], call_ask[call_side], spline)

    # Strikes below K0 use puts, above K0 calls; K0 itself the average of both (put_q[-1] and call_q[0]).
    quotes = np.full(strikes.size, np.nan)
    filled = np.zeros(strikes.size, dtype=bool)
    quotes[put_side[:-1]], filled[put_side[:-1]] = put_q[:-1], put_filled[:-1]
    quotes[call_side[1:]], filled[call_side[1:]] = call_q[1:], call_filled[1:]
    quotes[k0_index] = 0.5 * (put_q[-1] + call_q[0])
    filled[k0_index] = bool(put_filled[-1] or call_filled[0])
    variance, keep = _variance(
        label=label, strikes=strikes, quotes=quotes, k0_index=k0_index, forward=forward, t=t, rate=rate
    )
    return VixTerm(
        variance=variance,
        k0=float(strikes[k0_index]),
        t=t,
        minutes_to_expiry=minutes,
        strikes=strikes[keep],
        quotes=quotes[keep],
        filled=filled[keep],
        put_wing_closed=put_closed,
        call_wing_closed=call_closed,
    )


def _settled_term(chain: VixSettled, *, label: str) -> VixTerm:
    strikes = _floats(chain.strikes)
    call_price, put_price = _floats(chain.call_price), _floats(chain.put_price)
    forward, minutes, rate = float(chain.forward), float(chain.minutes_to_expiry), float(chain.rate)
    _validate(label, strikes, (call_price, put_price), forward, minutes, rate)
    t = minutes / MINUTES_PER_YEAR
    k0_index = _k0_index(strikes, forward)
    with np.errstate(invalid="ignore"):
        call_price = np.where(call_price > 0, call_price, np.nan)
        put_price = np.where(put_price > 0, put_price, np.nan)
    below = np.arange(strikes.size) < k0_index
    quotes = np.where(below, put_price, call_price)
    quotes[k0_index] = 0.5 * (put_price[k0_index] + call_price[k0_index])
    variance, keep = _variance(
        label=label, strikes=strikes, quotes=quotes, k0_index=k0_index, forward=forward, t=t, rate=rate
    )
    return VixTerm(
        variance=variance,
        k0=float(strikes[k0_index]),
        t=t,
        minutes_to_expiry=minutes,
        strikes=strikes[keep],
        quotes=quotes[keep],
        filled=np.zeros(int(keep.sum()), dtype=bool),
    )


def vix_term(chain: VixChain | VixSettled, *, label: str = "chain", spline: bool = True) -> VixTerm:
    """sigma² for one expiry by the white-paper formula (``spline`` only matters for quoted chains)."""
    if isinstance(chain, VixSettled):
        return _settled_term(chain, label=label)
    return _quoted_term(chain, label=label, spline=spline)


def vix_from_terms(near: VixTerm, next: VixTerm) -> float:
    """The two variances interpolated in total variance to 30 days and annualised, x100; NaN when negative."""
    n1, n2 = near.minutes_to_expiry, next.minutes_to_expiry
    if n2 <= n1:
        raise ValueError(f"next expiry ({n2:g} min) must be later than the near expiry ({n1:g} min)")
    weighted = near.t * near.variance * (n2 - MINUTES_30_DAYS) / (n2 - n1) + next.t * next.variance * (
        MINUTES_30_DAYS - n1
    ) / (n2 - n1)
    total = weighted * MINUTES_PER_YEAR / MINUTES_30_DAYS
    return 100.0 * math.sqrt(total) if total >= 0 else math.nan


def india_vix(near: VixChain | VixSettled, next: VixChain | VixSettled, *, spline: bool = True) -> VixResult:
    """India VIX from the near- and next-month chains; spline=False uses raw mids for wide quotes."""
    near_term = vix_term(near, label="near", spline=spline)
    next_term = vix_term(next, label="next", spline=spline)
    return VixResult(vix=vix_from_terms(near_term, next_term), near=near_term, next=next_term, spline=spline)
