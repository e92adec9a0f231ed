"""Breadth on the real NSE CM bhavcopy of 03-Mar-2025, checked against an independent pandas count."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from apps.overview.breadth import breadth_compute, pct_change
from apps.overview.universe import nifty50_symbols, sector_indices


def _eq_prices(path: Path) -> dict[str, tuple[float, float | None]]:
    """symbol -> (close, previous close) for SERIES EQ, read with the csv module (header has leading spaces)."""
    with path.open(newline="") as handle:
        rows = [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    return {r["SYMBOL"]: (float(r["CLOSE_PRICE"]), float(r["PREV_CLOSE"])) for r in rows if r["SERIES"] == "EQ"}


def _pandas_counts(path: Path, symbols: list[str] | None) -> tuple[int, int, int]:
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame[frame["SERIES"].str.strip() == "EQ"]
    if symbols is not None:
        frame = frame[frame["SYMBOL"].isin(symbols)]
    change = (frame["CLOSE_PRICE"] - frame["PREV_CLOSE"]).round(2)
    return int((change > 0).sum()), int((change < 0).sum()), int((change == 0).sum())


def test_it_counts_nifty50_advances_and_declines_on_03_mar_2025(cm_bhavcopy_03mar2025: Path) -> None:
    universe = nifty50_symbols()

    breadth = breadth_compute(_eq_prices(cm_bhavcopy_03mar2025), universe=universe)

    assert len(universe) == 50
    # The list is the Sep-2026 one: ETERNAL (then ZOMATO) and TMPV (then TATAMOTORS) did not trade under these names.
    assert breadth.missing == ("ETERNAL", "TMPV")
    assert (breadth.advances, breadth.declines, breadth.unchanged) == _pandas_counts(
        cm_bhavcopy_03mar2025, list(universe)
    )
    assert (breadth.advances, breadth.declines, breadth.unchanged) == (29, 19, 0)
    assert breadth.ad_ratio == pytest.approx(29 / 19)
    assert breadth.net == 10


def test_it_counts_the_whole_eq_market_including_unchanged(cm_bhavcopy_03mar2025: Path) -> None:
    prices = _eq_prices(cm_bhavcopy_03mar2025)

    breadth = breadth_compute(prices, universe=prices.keys())

    assert (breadth.advances, breadth.declines, breadth.unchanged) == _pandas_counts(cm_bhavcopy_03mar2025, None)
    assert (breadth.advances, breadth.declines, breadth.unchanged) == (637, 1389, 14)
    assert breadth.missing == ()


def test_it_reports_no_ad_ratio_without_declines() -> None:
    breadth = breadth_compute({"A": (10.0, 9.0), "B": (5.0, 5.0), "C": (7.0, None)}, universe=["A", "B", "C", "D"])
    assert (breadth.advances, breadth.declines, breadth.unchanged) == (1, 0, 1)
    assert breadth.ad_ratio is None
    assert breadth.missing == ("C", "D")


def test_it_treats_float_noise_as_unchanged() -> None:
    breadth = breadth_compute({"A": (0.1 + 0.2, 0.3)}, universe=["A"])
    assert breadth.unchanged == 1


def test_pct_change_is_relative_to_the_previous_close() -> None:
    # NIFTY IT on 03-Mar-2025 (ind_close_all): close 37614.45, change +296.15 → +0.79 %.
    assert pct_change(37614.45, 37614.45 - 296.15) == pytest.approx(0.7936, abs=1e-4)
    assert pct_change(100.0, None) is None


def test_the_sector_list_uses_kite_symbols_with_tokens() -> None:
    sectors = {s.kite_symbol: s for s in sector_indices()}
    assert sectors["NIFTY IT"].instrument_token == 259849
    assert sectors["NIFTY FIN SERVICE"].key == "NSE:NIFTY FIN SERVICE"
    assert len(sectors) == 16
