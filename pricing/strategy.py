"""Payoff of an options strategy: P&L over spot at its first expiry and at times before it, breakevens, maximum
profit and loss, probability of profit, net premium and aggregate greeks (docs/strategies.md).

Each leg is priced by Black-76 on its own expiry's forward, which moves with spot at the carry the chain implies
(``F = S·e^{b·tau}``, ``b = ln(F0/S0)/t``), with the sticky-strike IV of its strike (held as spot moves). Pure numpy:
times, rates, IVs and quotes are arguments.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from pricing.black76 import black76_greeks, black76_price

FloatArray = NDArray[np.float64]
FLAT_TAIL = 0.01
"""A right-tail slope below this fraction of the strategy's call quantity counts as flat: a calendar's far call
tracks the near one, so its slope, e^{(b-r)tau} - 1, is a carry effect, not an unlimited exposure."""


@dataclass(frozen=True)
class StrategyLeg:
    """One leg. ``quantity`` is signed, in units (lots x lot size): positive bought, negative sold; ``price`` the
    premium per unit paid or received; ``t`` years from the valuation moment to the leg's expiry; ``iv`` its
    sticky-strike IV (decimal); ``carry`` the rate b with F = S·e^{b·t} for its expiry."""

    strike: float
    is_call: bool
    quantity: float
    price: float
    t: float
    iv: float
    carry: float = 0.0


@dataclass(frozen=True)
class Extremes:
    """Maximum profit and loss at the first expiry in rupees (P&L values: max_loss is negative for a loss);
    None where that side is unlimited."""

    max_profit: float | None
    max_loss: float | None
    unlimited_profit: bool
    unlimited_loss: bool


def smile_iv(strikes: ArrayLike, ivs: ArrayLike, at: ArrayLike) -> FloatArray:
    """Sticky-strike IV at ``at``: linear in strike between the chain's finite IVs, flat beyond them; NaN when
    the chain has none."""
    k = np.asarray(strikes, dtype=float)
    v = np.asarray(ivs, dtype=float)
    ok = np.isfinite(k) & np.isfinite(v) & (v > 0)
    target = np.asarray(at, dtype=float)
    if not ok.any():
        return np.full(target.shape, np.nan)
    order = np.argsort(k[ok])
    return np.asarray(np.interp(target, k[ok][order], v[ok][order]), dtype=float)


def first_expiry(legs: Sequence[StrategyLeg]) -> float:
    """Years to the strategy's first expiry: where "at expiry" is."""
    return min(leg.t for leg in legs)


def pnl(
    legs: Sequence[StrategyLeg], spots: ArrayLike, *, elapsed: float, r: float, iv_shift: float = 0.0
) -> FloatArray:
    """P&L in rupees at each spot, ``elapsed`` years after the valuation moment; IVs shifted by ``iv_shift``
    (decimal). A leg at or past its expiry is worth its intrinsic value."""
    s = np.asarray(spots, dtype=float)
    total = np.zeros(s.shape)
    for leg in legs:
        tau = leg.t - elapsed
        if tau <= 0:
            value = np.maximum(s - leg.strike, 0.0) if leg.is_call else np.maximum(leg.strike - s, 0.0)
        else:
            forward = s * math.exp(leg.carry * tau)
            value = black76_price(forward, leg.strike, tau, r, max(leg.iv + iv_shift, 0.0), leg.is_call)
        total += leg.quantity * (value - leg.price)
    return total


def at_expiry(legs: Sequence[StrategyLeg], spots: ArrayLike, *, r: float) -> FloatArray:
    return pnl(legs, spots, elapsed=first_expiry(legs), r=r)


def net_premium(legs: Sequence[StrategyLeg]) -> float:
    """Premium received minus premium paid, in rupees: positive for a credit, negative for a debit."""
    return float(-sum(leg.quantity * leg.price for leg in legs))


def grid(legs: Sequence[StrategyLeg], spot: float, *, points: int = 161) -> FloatArray:
    """Spots for a payoff chart and the searches: 0 and every strike, and an even grid from 0 to three times the
    largest of spot and the strikes (the tails are linear beyond the last strike at a single expiry)."""
    top = 3.0 * max(spot, *(leg.strike for leg in legs))
    return np.unique(np.concatenate([np.linspace(0.0, top, points), [leg.strike for leg in legs], [spot]]))


def breakevens(legs: Sequence[StrategyLeg], spot: float, *, r: float) -> list[float]:
    """Spots where the P&L at the first expiry crosses zero, ascending. Exact for a single expiry (the payoff is
    linear between the strikes, which the grid contains); refined by bisection where later legs curve it."""
    xs = grid(legs, spot, points=1201)
    ys = at_expiry(legs, xs, r=r)
    found: list[float] = []
    signed = np.flatnonzero(ys != 0.0)
    for i, j in itertools.pairwise(signed):
        if ys[i] * ys[j] > 0:
            continue
        # Adjacent points: the root lies between them; otherwise the P&L touched zero at xs[i + 1] and crossed.
        found.append(_root(legs, xs[i], xs[j], ys[i], ys[j], r=r) if j == i + 1 else float(xs[i + 1]))
    # Beyond the grid the P&L is linear in S with the tail slope.
    slope = _tail(legs, r)
    if slope != 0.0 and ys[-1] * slope < 0:
        found.append(float(xs[-1] - ys[-1] / slope))
    return found


def _root(legs: Sequence[StrategyLeg], a: float, b: float, ya: float, yb: float, *, r: float) -> float:
    """Illinois regula falsi: exact at the first step in a linear segment (a single expiry), and converging
    superlinearly where later legs curve the payoff."""
    side = 0
    x = a
    for _ in range(100):
        x = (a * yb - b * ya) / (yb - ya)
        y = float(at_expiry(legs, x, r=r))
        if y == 0.0 or abs(b - a) < 1e-12 * max(1.0, abs(x)) or abs(y) < 1e-12 * (abs(ya) + abs(yb)):
            return x
        if y * yb > 0:
            b, yb = x, y
            if side == -1:
                ya /= 2
            side = -1
        else:
            a, ya = x, y
            if side == 1:
                yb /= 2
            side = 1
    return x


def _tail(legs: Sequence[StrategyLeg], r: float) -> float:
    t0 = first_expiry(legs)
    slope = 0.0
    for leg in legs:
        if leg.is_call:
            tau = leg.t - t0
            slope += leg.quantity * (1.0 if tau <= 0 else math.exp((leg.carry - r) * tau))
    calls = sum(abs(leg.quantity) for leg in legs if leg.is_call)
    return 0.0 if abs(slope) < FLAT_TAIL * max(calls, 1e-12) else slope


def extremes(legs: Sequence[StrategyLeg], spot: float, *, r: float) -> Extremes:
    """Max profit and loss at the first expiry: over spot ≥ 0, where the payoff is linear beyond the last strike."""
    values = at_expiry(legs, grid(legs, spot), r=r)
    slope = _tail(legs, r)
    up, down = slope > 0, slope < 0
    return Extremes(
        max_profit=None if up else float(values.max()),
        max_loss=None if down else float(values.min()),
        unlimited_profit=up,
        unlimited_loss=down,
    )


def probability_below(level: float, *, forward: float, sigma: float, t: float) -> float:
    """P(S_T < level) with ln S_T normal around ln F - sigma²t/2 (the forward is the mean)."""
    if level <= 0:
        return 0.0
    if not math.isfinite(level):
        return 1.0
    sd = sigma * math.sqrt(t)
    return float(ndtr((math.log(level / forward) + 0.5 * sd * sd) / sd))


def probability_of_profit(
    legs: Sequence[StrategyLeg], spot: float, *, forward: float, sigma: float, r: float
) -> float | None:
    """P(P&L at the first expiry > 0) with S_T lognormal at the first expiry's forward and ATM IV; None without
    an IV or time left."""
    t = first_expiry(legs)
    if not (t > 0 and sigma > 0 and forward > 0):
        return None
    edges = [0.0, *breakevens(legs, spot, r=r), math.inf]
    total = 0.0
    for low, high in itertools.pairwise(edges):
        probe = 0.5 * (low + high) if math.isfinite(high) else max(2.0 * low, low + 1.0)
        if float(at_expiry(legs, probe, r=r)) > 0:
            total += probability_below(high, forward=forward, sigma=sigma, t=t) - probability_below(
                low, forward=forward, sigma=sigma, t=t
            )
    return min(max(total, 0.0), 1.0)


def aggregate_greeks(legs: Sequence[StrategyLeg], spot: float, *, r: float) -> dict[str, float]:
    """The strategy's delta and gamma in spot (per ₹1 of the underlying), theta per calendar day and vega per
    vol point, in rupees for the quantities held; legs already expired count 0."""
    out = dict.fromkeys(("delta", "gamma", "theta", "vega"), 0.0)
    for leg in legs:
        if leg.t <= 0:
            continue
        dfds = math.exp(leg.carry * leg.t)
        g = black76_greeks(spot * dfds, leg.strike, leg.t, r, leg.iv, leg.is_call)
        out["delta"] += leg.quantity * float(g["delta"]) * dfds
        out["gamma"] += leg.quantity * float(g["gamma"]) * dfds * dfds
        out["theta"] += leg.quantity * float(g["theta"])
        out["vega"] += leg.quantity * float(g["vega"])
    return out
