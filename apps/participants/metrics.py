"""Derived participant metrics and the positioning label. Pure Python, no Django.

Definitions (per category, from its row of one file; units are contracts):
* net index futures = Future Index Long - Future Index Short
* net index calls = Option Index Call Long - Option Index Call Short
* net index puts = Option Index Put Long - Option Index Put Short
* index futures long ratio = Future Index Long / (Future Index Long + Future Index Short), None when both are 0
* institutional vs retail ratio = the index futures long ratio of FII + DII + Pro together divided by the Client
  long ratio. Below 1 the institutions hold proportionally fewer longs than retail (they lean short against it);
  above 1 they lean long. (Their net positions alone are useless: all categories' nets sum to zero.)
* positioning label = a band of the index futures long ratio, see LABEL_BANDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

LABEL_BANDS: tuple[tuple[float, str], ...] = (
    (0.30, "strongly bearish"),
    (0.45, "bearish"),
    (0.55, "neutral"),
    (0.70, "bullish"),
)
"""Upper bounds (exclusive) of the long-ratio bands; at or above 0.70 the label is 'strongly bullish'."""
TOP_LABEL = "strongly bullish"

CHANGE_KEYS: tuple[str, ...] = (
    "net_index_futures",
    "net_index_calls",
    "net_index_puts",
    "index_futures_long_ratio",
    "future_index_long",
    "future_index_short",
)
INSTITUTIONS: tuple[str, ...] = ("FII", "DII", "Pro")
RETAIL = "Client"


def long_ratio(long: int, short: int) -> float | None:
    return long / (long + short) if long + short else None


def positioning_label(ratio: float | None) -> str:
    if ratio is None:
        return "no position"
    for upper, label in LABEL_BANDS:
        if ratio < upper:
            return label
    return TOP_LABEL


class Positioning(TypedDict):
    """One category's derived numbers (contracts) and its positioning label."""

    net_index_futures: int
    net_index_calls: int
    net_index_puts: int
    index_futures_long_ratio: float | None
    label: str


def derived(row: Mapping[str, int]) -> Positioning:
    """The derived numbers of one category's row (the 14 stored fields)."""
    ratio = long_ratio(row["future_index_long"], row["future_index_short"])
    return Positioning(
        net_index_futures=row["future_index_long"] - row["future_index_short"],
        net_index_calls=row["option_index_call_long"] - row["option_index_call_short"],
        net_index_puts=row["option_index_put_long"] - row["option_index_put_short"],
        index_futures_long_ratio=ratio,
        label=positioning_label(ratio),
    )


def changes(today: Mapping[str, object], previous: Mapping[str, object] | None) -> dict[str, float | int | None] | None:
    """Day-on-day change of each CHANGE_KEYS value vs the previous stored session; None without one."""
    if previous is None:
        return None
    out: dict[str, float | int | None] = {}
    for key in CHANGE_KEYS:
        now, before = today.get(key), previous.get(key)
        if isinstance(now, int | float) and isinstance(before, int | float):
            out[key] = now - before
        else:
            out[key] = None
    return out


class InstitutionalVsRetail(TypedDict):
    institutional_net_index_futures: int
    retail_net_index_futures: int
    institutional_long_ratio: float | None
    retail_long_ratio: float | None
    ratio: float | None
    reading: str


def institutional_vs_retail(rows: Mapping[str, Mapping[str, int]]) -> InstitutionalVsRetail:
    """The institutions' (FII+DII+Pro) index futures long ratio against the Client one, and their ratio."""
    inst_long = sum(rows[c]["future_index_long"] for c in INSTITUTIONS)
    inst_short = sum(rows[c]["future_index_short"] for c in INSTITUTIONS)
    inst_ratio = long_ratio(inst_long, inst_short)
    retail_ratio = long_ratio(rows[RETAIL]["future_index_long"], rows[RETAIL]["future_index_short"])
    ratio = inst_ratio / retail_ratio if inst_ratio is not None and retail_ratio else None
    return InstitutionalVsRetail(
        institutional_net_index_futures=inst_long - inst_short,
        retail_net_index_futures=rows[RETAIL]["future_index_long"] - rows[RETAIL]["future_index_short"],
        institutional_long_ratio=inst_ratio,
        retail_long_ratio=retail_ratio,
        ratio=ratio,
        reading=(
            "no position"
            if ratio is None
            else "institutions lean short against retail"
            if ratio < 1
            else "institutions lean long against retail"
        ),
    )
