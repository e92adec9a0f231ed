"""Pricing core: Black-76 prices, greeks and implied volatility, forwards, India VIX, IV rank.

Pure numpy/scipy; nothing here imports Django, so it can be tested and profiled alone. Every array
function broadcasts its inputs and accepts scalars. Conventions: docs/pricing.md.
"""

from __future__ import annotations

from pricing.black76 import SECOND_ORDER, black76_greeks, black76_price, black76_second_order
from pricing.black_scholes import NSE_RATE, bs_implied_volatility, bs_price
from pricing.forward import (
    atm_iv,
    atm_strike,
    expected_move,
    parity_forward,
    resolve_forward,
    usable_price,
)
from pricing.implied_vol import REASONS, implied_volatility, implied_volatility_with_reason
from pricing.iv_rank import iv_percentile, iv_rank
from pricing.vix import VixChain, VixResult, VixSettled, VixTerm, india_vix, vix_from_terms, vix_term
from pricing.year_fraction import MINUTES_PER_YEAR, year_fraction_minutes

__all__ = [
    "MINUTES_PER_YEAR",
    "NSE_RATE",
    "REASONS",
    "SECOND_ORDER",
    "VixChain",
    "VixResult",
    "VixSettled",
    "VixTerm",
    "atm_iv",
    "atm_strike",
    "black76_greeks",
    "black76_price",
    "black76_second_order",
    "bs_implied_volatility",
    "bs_price",
    "expected_move",
    "implied_volatility",
    "implied_volatility_with_reason",
    "india_vix",
    "iv_percentile",
    "iv_rank",
    "parity_forward",
    "resolve_forward",
    "usable_price",
    "vix_from_terms",
    "vix_term",
    "year_fraction_minutes",
]
