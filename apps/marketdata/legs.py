"""The fields of one option leg (one ``OptionQuote``: an instrument at a minute), declared once.

Every list of leg columns (the API's chain and greeks, the exports, the admin, the websocket rows, the
analytics frame and writer, the quote store) is built from these groups, and a test checks that the
groups cover the model exactly, so a new column cannot be forgotten in one place.
"""

from __future__ import annotations

IDENTITY: tuple[str, ...] = (
    "minute",
    "instrument",
    "underlying",
    "expiry",
    "strike",
    "option_type",
    "expiry_bucket",
    "strike_offset",
    "source",
)
"""Which contract and minute the row is, and where it came from."""

MARKET: tuple[str, ...] = (
    "last_price",
    "average_price",
    "close_price",
    "volume",
    "oi",
    "oi_day_high",
    "oi_day_low",
    "bid",
    "bid_qty",
    "ask",
    "ask_qty",
    "last_trade_time",
    "spot",
    "forward",
)
"""What the broker (or the exchange file) said at that minute, stored as it arrived."""

BROKER_QUOTE: tuple[str, ...] = tuple(name for name in MARKET if name not in ("spot", "forward"))
"""What a broker's quote says of one option (spot and forward belong to the chain): what replay re-serves."""

ANALYTICS: tuple[str, ...] = (
    "oi_change",
    "iv",
    "iv_source",
    "iv_error",
    "delta",
    "gamma",
    "theta",
    "vega",
    "rho",
    "buildup",
    "quality_flags",
)
"""What analytics adds to the row (``analysed_at`` records when)."""

BOOKKEEPING: tuple[str, ...] = ("id", "analysed_at")

QUOTE: tuple[str, ...] = tuple(name for name in MARKET if name not in ("last_trade_time", "spot", "forward"))
"""The quote of one leg as clients read it: prices, depth, volume and OI (spot and forward belong to the chain)."""

CHAIN: tuple[str, ...] = (
    "last_price",
    "average_price",
    "bid",
    "ask",
    "volume",
    "oi",
    "oi_change",
    "iv",
    "delta",
    "gamma",
    "theta",
    "vega",
    "buildup",
)
"""One leg's columns in a side-by-side (CE | strike | PE) chain: what a trader reads at a glance."""

SECOND_ORDER: tuple[str, ...] = ("vanna", "charm", "vomma", "speed", "zomma", "color")
"""Second-order greeks: not stored, computed from the stored IV on request (the chain's ``greeks=all``)."""
