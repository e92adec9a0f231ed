from __future__ import annotations

import math

import pytest

from pricing import iv_percentile, iv_rank


def test_it_ranks_today_between_the_window_low_and_high() -> None:
    assert iv_rank([10.0, 20.0, 30.0, 15.0]) == pytest.approx(25.0)
    assert iv_rank([10.0, 20.0, 30.0]) == 100.0
    assert iv_rank([30.0, 20.0, 10.0]) == 0.0


def test_it_counts_only_strictly_lower_previous_values_for_the_percentile() -> None:
    # Previous values 10, 20, 15, 15: only 10 is strictly below 15 (ties do not count) -> 1/4.
    assert iv_percentile([10.0, 20.0, 15.0, 15.0, 15.0]) == 25.0
    assert iv_percentile([10.0, 20.0, 30.0]) == 100.0
    assert iv_percentile([30.0, 20.0, 10.0]) == 0.0


def test_it_returns_nan_when_the_series_cannot_rank_today() -> None:
    assert math.isnan(iv_rank([]))
    assert math.isnan(iv_rank([12.0, 12.0, 12.0]))  # flat window
    assert math.isnan(iv_rank([10.0, math.nan]))  # today missing
    assert math.isnan(iv_percentile([12.0]))  # no history


def test_it_ignores_missing_history() -> None:
    assert iv_rank([10.0, math.nan, 30.0, 20.0]) == 50.0
    assert iv_percentile([10.0, math.nan, 30.0, 20.0]) == 50.0
