"""Analytics reads for the API, pages and websockets: typed JSON-ready results (TypedDicts), keyword-only arguments.

Each accepts ``expiry`` or ``bucket`` and ``at`` (a past minute; default the latest) where it makes sense and
raises ApplicationError/NotFoundError with a message saying what was wrong.
"""

from apps.analytics.selectors.chain import chain_greeks, chain_summary, gex, iv_smile, iv_surface, oi_by_strike
from apps.analytics.selectors.history import (
    expiry_comparison,
    history,
    iv_rank,
    overlay,
    vix_correlation,
    volatility_series,
)
from apps.analytics.selectors.toggle import price_toggle
from apps.analytics.selectors.volatility import our_vix_at

__all__ = [
    "chain_greeks",
    "chain_summary",
    "expiry_comparison",
    "gex",
    "history",
    "iv_rank",
    "iv_smile",
    "iv_surface",
    "oi_by_strike",
    "our_vix_at",
    "overlay",
    "price_toggle",
    "vix_correlation",
    "volatility_series",
]
