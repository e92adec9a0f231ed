"""Per-minute volatility series: the constant-maturity 30-day ATM IV and our India-VIX-style index."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

import pricing
from apps.analytics.metrics.term import constant_maturity_iv
from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
from apps.analytics.services.chain import clean
from apps.analytics.services.frame import ChainFrame
from apps.analytics.services.quotes import QuoteResults, strike_legs
from apps.market.buckets import monthly_expiries
from pricing.year_fraction import MINUTES_PER_YEAR

logger = logging.getLogger(__name__)

VIX_MIN_MINUTES = 1440
"""Our index skips a monthly with less than a day to expire (its variance explodes); the next two are used."""


def our_vix(frame: ChainFrame, results: QuoteResults, *, rate: float) -> float | None:
    """India VIX white-paper method on the collected near and next monthly chains (bid/ask needed).

    Forward: the expiry's forward as analytics resolved it (parity, future or carry); the white paper uses the future.
    Returns None when the chains have no two-sided quotes (e.g. end-of-day bhavcopy rows).
    """
    chains = []
    by_expiry = {inputs.expiry: (position, inputs) for position, inputs in enumerate(results.expiries)}
    for expiry in monthly_expiries(frame.expiries):
        position, inputs = by_expiry[expiry]
        minutes = inputs.t * MINUTES_PER_YEAR
        if minutes < VIX_MIN_MINUTES:
            continue
        legs = strike_legs(frame, position)
        if not legs.both.any():
            continue
        k = legs.strikes[legs.both]
        quotes = {
            name: legs.take(values, leg=leg)[legs.both]
            for name, values, leg in (
                ("call_bid", frame.bid, "call"),
                ("call_ask", frame.ask, "call"),
                ("put_bid", frame.bid, "put"),
                ("put_ask", frame.ask, "put"),
            )
        }
        if not (np.isfinite(quotes["call_bid"]).any() and np.isfinite(quotes["put_bid"]).any()):
            continue
        chains.append(
            pricing.VixChain(
                strikes=k,
                call_bid=np.nan_to_num(quotes["call_bid"]),
                call_ask=np.nan_to_num(quotes["call_ask"]),
                put_bid=np.nan_to_num(quotes["put_bid"]),
                put_ask=np.nan_to_num(quotes["put_ask"]),
                forward=inputs.forward,
                minutes_to_expiry=minutes,
                rate=rate,
            )
        )
        if len(chains) == 2:
            break
    if len(chains) < 2:
        return None
    try:
        result = pricing.india_vix(chains[0], chains[1])
    except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
        logger.info("our VIX not computable at %s: %s", frame.minute, exc)
        return None
    return clean(result.vix)


def volatility_snapshot_write(
    *,
    frame: ChainFrame,
    results: QuoteResults,
    snapshots: Sequence[ChainSnapshot],
    underlying_id: int,
    rate: float,
    vix: float | None,
) -> VolatilitySnapshot:
    cm30 = constant_maturity_iv([(s.t_years, s.atm_iv) for s in snapshots if s.atm_iv is not None])
    snapshot, _ = VolatilitySnapshot.objects.update_or_create(
        underlying_id=underlying_id,
        minute=frame.minute,
        defaults={"cm30_iv": clean(cm30), "our_vix": our_vix(frame, results, rate=rate), "vix": vix},
    )
    return snapshot
