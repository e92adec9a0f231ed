"""Chain analytics per expiry at one minute, from the per-quote results (docs/conventions.md §3)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

import pricing
from apps.analytics.metrics.chain import max_pain, oi_walls, put_call_ratio
from apps.analytics.metrics.gex import gamma_exposure, gex_by_strike
from apps.analytics.metrics.sentiment import sentiment
from apps.analytics.metrics.skew import risk_reversal_butterfly
from apps.analytics.services.frame import ChainFrame
from apps.analytics.services.quotes import ExpiryInputs, QuoteResults, strike_legs


def clean(value: Any) -> float | None:
    """A finite float, or None (JSON and the database have no NaN)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def clean_list(values: NDArray) -> list[float | None]:
    return [clean(v) for v in np.asarray(values, dtype=float)]


def chain_metrics(frame: ChainFrame, results: QuoteResults, *, position: int, inputs: ExpiryInputs) -> dict[str, Any]:
    """The ChainSnapshot fields of one expiry (everything except keys and timestamps)."""
    legs = strike_legs(frame, position)
    rows = frame.expiry_index == position
    k = legs.strikes
    forward, t = inputs.forward, inputs.t

    call_iv, put_iv = legs.take(results.iv, leg="call"), legs.take(results.iv, leg="put")
    call_price, put_price = legs.take(results.price, leg="call"), legs.take(results.price, leg="put")
    call_oi, put_oi = legs.take(frame.oi, leg="call"), legs.take(frame.oi, leg="put")
    call_doi, put_doi = legs.take(frame.oi_change, leg="call"), legs.take(frame.oi_change, leg="put")
    call_vol, put_vol = legs.take(frame.volume, leg="call"), legs.take(frame.volume, leg="put")

    atm = clean(pricing.atm_strike(k, forward)) if k.size else None
    atm_spot = clean(pricing.atm_strike(k, inputs.spot)) if k.size else None
    atm_iv = clean(pricing.atm_iv(k, call_iv, put_iv, forward)) if k.size else None
    straddle = None
    if atm is not None:
        at = int(np.flatnonzero(k == atm)[0])
        straddle = clean(call_price[at] + put_price[at])
    expected = clean(pricing.expected_move(forward, atm_iv, t)) if atm_iv is not None and t > 0 else None

    both = legs.both  # PCRs over the strikes where both legs are listed (docs/conventions.md §3.1).
    pcr_oi = put_call_ratio(call_oi[both], put_oi[both])
    pcr_volume = put_call_ratio(call_vol[both], put_vol[both])
    doi_known = both & np.isfinite(call_doi) & np.isfinite(put_doi)
    pcr_doi = put_call_ratio(call_doi[doi_known], put_doi[doi_known]) if doi_known.any() else None

    pain = max_pain(k, call_oi, put_oi, forward) if k.size else None
    rr25, bf25 = risk_reversal_butterfly(strikes=k, call_iv=call_iv, put_iv=put_iv, forward=forward, t=t, atm_iv=atm_iv)
    call_wall, put_wall = oi_walls(k, call_oi, put_oi)

    exposure = gamma_exposure(
        gamma=results.greeks["gamma"][rows], oi=frame.oi[rows], is_call=frame.is_call[rows], forward=forward
    )
    _, gex = gex_by_strike(frame.strike[rows], exposure)
    label, score = sentiment(pcr_oi=pcr_oi, pcr_oi_change=pcr_doi, forward=forward, max_pain=pain)
    buildups = Counter(str(b) for b in results.buildup[rows] if b)

    return {
        "t_years": t,
        "spot": inputs.spot,
        "forward": forward,
        "forward_source": inputs.forward_source,
        "strike_count": int(k.size),
        "atm_strike": atm,
        "atm_strike_spot": atm_spot,
        "atm_iv": atm_iv,
        "straddle": straddle,
        "expected_move": expected,
        "pcr_oi": pcr_oi,
        "pcr_volume": pcr_volume,
        "pcr_oi_change": pcr_doi,
        "max_pain": pain,
        "rr25": rr25,
        "bf25": bf25,
        "call_oi_wall": call_wall,
        "put_oi_wall": put_wall,
        "net_gex": clean(gex.sum()) if gex.size else None,
        "total_call_oi": int(np.nansum(call_oi)),
        "total_put_oi": int(np.nansum(put_oi)),
        "sentiment": label,
        "sentiment_score": score,
        "buildup_counts": dict(sorted(buildups.items())),
        "by_strike": {
            "strikes": clean_list(k),
            "call_price": clean_list(call_price),
            "put_price": clean_list(put_price),
            "call_iv": clean_list(call_iv),
            "put_iv": clean_list(put_iv),
            "call_oi": clean_list(call_oi),
            "put_oi": clean_list(put_oi),
            "call_oi_change": clean_list(call_doi),
            "put_oi_change": clean_list(put_doi),
            "call_volume": clean_list(call_vol),
            "put_volume": clean_list(put_vol),
            "gex": clean_list(gex),
        },
    }
