"""India VIX by NSE's white-paper method (docs/conventions.md §2.3): model-free variance of two monthly expiries.

Per expiry j (T in years from minutes, R the matching MIBOR, F the future of that expiry):
    K0 = the listed strike at or immediately below F;
    Q(K) = mid of the OTM put for K < K0, of the OTM call for K > K0, the average of both at K0;
    a quote is appropriate when bid > 0, ask >= bid and (ask - bid) <= 30 % of the mid; the others are
    filled by a natural cubic spline through the appropriate mids (calls on K >= K0, puts on K <= K0),
    and strikes outside the range of appropriate quotes are dropped rather than extrapolated;
    sigma_j² = (2/T) Σ ΔK/K² e^{RT} Q(K) - (1/T)(F/K0 - 1)², ΔK central (one-sided at the ends).
The two variances are interpolated in total variance to 30 days on the minute clock and annualised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline

from pricing.forward import MAX_RELATIVE_SPREAD
from pricing.year_fraction import MINUTES_PER_YEAR

FloatArray = NDArray[np.float64]
MINUTES_30_DAYS = 43_200.0


@dataclass(frozen=True)
class VixChain:
    """One expiry's best bids and offers, aligned by strike, with its future, time and rate."""

    strikes: ArrayLike
    call_bid: ArrayLike
    call_ask: ArrayLike
    put_bid: ArrayLike
    put_ask: ArrayLike
    forward: float
    minutes_to_expiry: float
    rate: float


@dataclass(frozen=True)
class VixTerm:
    """The per-expiry result: variance, K0, the strikes used with their Q(K) and which were spline-filled."""

    variance: float
    k0: float
    t: float
    minutes_to_expiry: float
    strikes: FloatArray = field(repr=False)
    quotes: FloatArray = field(repr=False)
    filled: NDArray[np.bool_] = field(repr=False)


@dataclass(frozen=True)
class VixResult:
    vix: float
    near: VixTerm
    next: VixTerm
    spline: bool


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
    return quotes, inside


def _validate(chain: VixChain, label: str) -> tuple[FloatArray, ...]:
    arrays = tuple(
        np.asarray(a, dtype=np.float64).ravel()
        for a in (chain.strikes, chain.call_bid, chain.call_ask, chain.put_bid, chain.put_ask)
    )
    if len({a.size for a in arrays}) != 1 or arrays[0].size < 3:
        raise ValueError(f"{label}: strikes and the four quote columns must have the same length (at least 3)")
    if not np.all(np.isfinite(arrays[0])) or np.any(np.diff(arrays[0]) <= 0) or arrays[0][0] <= 0:
        raise ValueError(f"{label}: strikes must be positive, finite and strictly increasing")
    if not (math.isfinite(chain.forward) and chain.forward > 0):
        raise ValueError(f"{label}: forward must be a positive number, got {chain.forward}")
    if not (math.isfinite(chain.minutes_to_expiry) and chain.minutes_to_expiry > 0):
        raise ValueError(f"{label}: minutes_to_expiry must be positive, got {chain.minutes_to_expiry}")
    if not math.isfinite(chain.rate):
        raise ValueError(f"{label}: rate must be finite, got {chain.rate}")
    if chain.forward < arrays[0][0]:
        raise ValueError(f"{label}: no listed strike at or below the forward {chain.forward}")
    return arrays


def vix_term(chain: VixChain, *, label: str = "chain", spline: bool = True) -> VixTerm:
    """sigma² for one expiry by the white-paper formula."""
    strikes, call_bid, call_ask, put_bid, put_ask = _validate(chain, label)
    forward, minutes, rate = float(chain.forward), float(chain.minutes_to_expiry), float(chain.rate)
    t = minutes / MINUTES_PER_YEAR
    k0_index = int(np.searchsorted(strikes, forward, side="right")) - 1
    k0 = float(strikes[k0_index])

    call_side = slice(k0_index, None)
    put_side = slice(0, k0_index + 1)
    call_q, call_filled = _side_quotes(strikes[call_side], call_bid[call_side], call_ask[call_side], spline)
    put_q, put_filled = _side_quotes(strikes[put_side], put_bid[put_side], put_ask[put_side], spline)

    # Strikes below K0 use puts, above K0 calls; K0 itself the average of both (put_q[-1] and call_q[0]).
    quotes = np.concatenate([put_q[:-1], [0.5 * (put_q[-1] + call_q[0])], call_q[1:]])
    filled = np.concatenate([put_filled[:-1], [put_filled[-1] or call_filled[0]], call_filled[1:]])
    keep = np.isfinite(quotes)
    if not keep[k0_index]:
        raise ValueError(f"{label}: no usable call and put quote at K0 = {k0:g}")
    used, q, filled = strikes[keep], quotes[keep], filled[keep]
    if used.size < 2:
        raise ValueError(f"{label}: fewer than two strikes carry usable quotes")

    delta_k = np.empty_like(used)
    delta_k[1:-1] = 0.5 * (used[2:] - used[:-2])
    delta_k[0] = used[1] - used[0]
    delta_k[-1] = used[-1] - used[-2]
    contribution = float(np.sum(delta_k / used**2 * q)) * math.exp(rate * t)
    variance = 2.0 / t * contribution - (forward / k0 - 1.0) ** 2 / t
    return VixTerm(variance=variance, k0=k0, t=t, minutes_to_expiry=minutes, strikes=used, quotes=q, filled=filled)


def india_vix(near: VixChain, next: VixChain, *, spline: bool = True) -> VixResult:
    """India VIX from the near- and next-month chains; spline=False uses raw mids for wide quotes."""
    near_term = vix_term(near, label="near", spline=spline)
    next_term = vix_term(next, label="next", spline=spline)
    n1, n2 = near_term.minutes_to_expiry, next_term.minutes_to_expiry
    if n2 <= n1:
        raise ValueError(f"next expiry ({n2:g} min) must be later than the near expiry ({n1:g} min)")
    weighted = near_term.t * near_term.variance * (n2 - MINUTES_30_DAYS) / (n2 - n1) + next_term.t * (
        next_term.variance
    ) * (MINUTES_30_DAYS - n1) / (n2 - n1)
    total = weighted * MINUTES_PER_YEAR / MINUTES_30_DAYS
    vix = 100.0 * math.sqrt(total) if total >= 0 else math.nan
    return VixResult(vix=vix, near=near_term, next=next_term, spline=spline)
