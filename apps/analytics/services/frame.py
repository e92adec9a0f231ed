"""One underlying's option rows at one minute as numpy columns, so every step is vectorised over the whole minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray

from apps.market.choices import OptionType
from apps.marketdata.models import OptionQuote, QuoteSource

FRAME_FIELDS = (
    "id",
    "instrument_id",
    "expiry",
    "expiry_bucket",
    "strike",
    "option_type",
    "source",
    "last_price",
    "average_price",
    "close_price",
    "bid",
    "ask",
    "volume",
    "oi",
    "oi_change",
    "last_trade_time",
    "spot",
    "instrument__tick_size",
)


def _floats(rows: list[dict], key: str) -> NDArray:
    return np.array([np.nan if row[key] is None else row[key] for row in rows], dtype=float)


@dataclass
class ChainFrame:
    """Columns of the rows of one minute, in (expiry, strike, option_type) order."""

    minute: datetime
    ids: NDArray
    instrument_ids: NDArray
    expiries: list[date]
    expiry_index: NDArray
    """Row → index into ``expiries``."""
    buckets: list[str]
    strike: NDArray
    is_call: NDArray
    settlement: NDArray
    """True for end-of-day bhavcopy rows, whose last_price is the settlement price."""
    last: NDArray
    average: NDArray
    close: NDArray
    bid: NDArray
    ask: NDArray
    volume: NDArray
    oi: NDArray
    oi_change: NDArray
    oi_change_missing: NDArray
    trade_age_s: NDArray
    """Seconds between the last trade and the minute; NaN when unknown."""
    spot: NDArray
    tick: NDArray

    def __len__(self) -> int:
        return int(self.ids.size)


def frame_load(*, underlying_id: int, minute: datetime) -> ChainFrame:
    """Read every option row of the underlying at ``minute`` in one query."""
    rows = list(
        OptionQuote.objects.filter(underlying_id=underlying_id, minute=minute)
        .order_by("expiry", "strike", "option_type")
        .values(*FRAME_FIELDS)
    )
    expiries = sorted({row["expiry"] for row in rows})
    position = {expiry: i for i, expiry in enumerate(expiries)}
    buckets = [""] * len(expiries)
    for row in rows:
        buckets[position[row["expiry"]]] = buckets[position[row["expiry"]]] or row["expiry_bucket"]
    oi_change = _floats(rows, "oi_change")
    ages = np.array(
        [
            np.nan if row["last_trade_time"] is None else (minute - row["last_trade_time"]).total_seconds()
            for row in rows
        ],
        dtype=float,
    )
    tick = _floats(rows, "instrument__tick_size")
    return ChainFrame(
        minute=minute,
        ids=np.array([row["id"] for row in rows], dtype=np.int64),
        instrument_ids=np.array([row["instrument_id"] for row in rows], dtype=np.int64),
        expiries=expiries,
        expiry_index=np.array([position[row["expiry"]] for row in rows], dtype=np.int64),
        buckets=buckets,
        strike=_floats(rows, "strike"),
        is_call=np.array([row["option_type"] == OptionType.CE for row in rows], dtype=bool),
        settlement=np.array([row["source"] == QuoteSource.BHAVCOPY for row in rows], dtype=bool),
        last=_floats(rows, "last_price"),
        average=_floats(rows, "average_price"),
        close=_floats(rows, "close_price"),
        bid=_floats(rows, "bid"),
        ask=_floats(rows, "ask"),
        volume=_floats(rows, "volume"),
        oi=_floats(rows, "oi"),
        oi_change=oi_change,
        oi_change_missing=np.isnan(oi_change),
        trade_age_s=ages,
        spot=_floats(rows, "spot"),
        tick=np.where(np.isfinite(tick) & (tick > 0), tick, 0.05),
    )
