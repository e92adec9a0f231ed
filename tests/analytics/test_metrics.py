"""Pure chain maths (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.analytics.metrics.buildup import classify_buildup
from apps.analytics.metrics.chain import max_pain, oi_walls, put_call_ratio
from apps.analytics.metrics.gex import gamma_exposure, gex_by_strike
from apps.analytics.metrics.sentiment import sentiment
from apps.analytics.metrics.series import band_stats, percentile_of, rolling_correlation, time_weighted_average
from apps.analytics.metrics.skew import forward_delta, iv_at_delta, risk_reversal_butterfly
from apps.analytics.metrics.term import constant_maturity_iv


def test_it_computes_max_pain_by_hand() -> None:
    strikes = [100, 110, 120]
    # pain(100) = P110*10 + P120*20 = 5*10 + 1*20 = 70; pain(110) = C100*10 + P120*10 = 3*10 + 10 = 40;
    # pain(120) = C100*20 + C110*10 = 60 + 40 = 100 → 110.
    assert max_pain([*strikes, 100, 110, 120], [3, 4, 0, 0, 0, 0], [0, 0, 0, 0, 5, 1], forward=100) == 110


def test_it_breaks_a_max_pain_tie_toward_the_forward_then_the_lower_strike() -> None:
    # Symmetric book: pain(100) = pain(120) = 10*20 = 200; pain(110) = 10*10 + 10*10 = 200 → all three tie.
    strikes = [100, 120]
    calls, puts = [10, 0], [0, 10]
    assert max_pain(strikes, calls, puts, forward=118) == 120
    assert max_pain(strikes, calls, puts, forward=101) == 100
    # Equidistant from the forward: the lower strike wins.
    assert max_pain(strikes, calls, puts, forward=110) == 100


def test_it_weighs_max_pain_by_units_so_mixed_lot_sizes_count_right() -> None:
    # 10 contracts of lot 25 at 100 (calls) vs 4 contracts of lot 75 at 120 (puts): by contracts the
    # calls dominate (10 > 4), by units the puts do (250 < 300).
    strikes = [100, 120]
    by_contracts = max_pain(strikes, [10, 0], [0, 4], forward=110)
    by_units = max_pain(strikes, [250, 0], [0, 300], forward=110)
    assert by_contracts == 100  # pain(100)=4*20=80 < pain(120)=10*20=200
    assert by_units == 120  # pain(100)=300*20=6000 > pain(120)=250*20=5000


def test_it_returns_none_for_a_pcr_with_no_calls() -> None:
    assert put_call_ratio([0, 0], [5, 6]) is None
    assert put_call_ratio([-10, 5], [5, 6]) is None  # ΔOI PCR with a non-positive call sum is undefined
    assert put_call_ratio([10, 10], [5, 6]) == pytest.approx(0.55)


def test_it_finds_the_oi_walls() -> None:
    assert oi_walls([100, 110, 120], [1, 9, 3], [7, 2, 7]) == (110, 100)
    assert oi_walls([100], [0], [0]) == (None, None)


def test_it_classifies_buildup_with_a_dead_band() -> None:
    dp = [2.0, -2.0, 2.0, -2.0, 0.04, 2.0, math.nan]
    doi = [1000, 1000, -1000, -1000, 1000, 40, 1000]
    oi = [10000] * 7
    labels = classify_buildup(dp, doi, oi, 0.05)
    assert labels.tolist() == [
        "long_buildup",
        "short_buildup",
        "short_covering",
        "long_unwinding",
        "neutral",  # |ΔP| below one tick
        "neutral",  # |ΔOI| = 0.4 % of OI < 0.5 %
        "",  # no previous close: not computable
    ]


def test_it_interpolates_iv_linearly_in_delta() -> None:
    assert iv_at_delta([0.4, 0.3, 0.2], [0.20, 0.21, 0.23], 0.25) == pytest.approx(0.22)
    assert iv_at_delta([-0.4, -0.3, -0.2], [0.22, 0.24, 0.27], -0.25) == pytest.approx(0.255)
    assert iv_at_delta([0.4, 0.3], [0.2, 0.21], 0.25) is None  # no extrapolation


def test_it_recovers_rr25_and_bf25_of_a_smile_defined_in_delta() -> None:
    """A smile sigma(Δ) = a + b·Δc (linear in call delta, puts by Δp = Δc - 1) on a dense strike grid:
    the 25-delta call IV is a + 0.25b and the 25-delta put (Δc = 0.75) IV is a + 0.75b."""
    forward, t, a, b = 22800.0, 30 / 365, 0.30, -0.12
    strikes = np.arange(18000, 28000, 10.0)

    def solve(k: float) -> float:
        sigma = a + 0.5 * b
        for _ in range(100):  # fixed point: sigma = a + b·N(d1(sigma))
            sigma = a + b * float(forward_delta(forward, k, t, sigma, is_call=True))
        return sigma

    ivs = np.array([solve(k) for k in strikes])
    rr, bf = risk_reversal_butterfly(strikes=strikes, call_iv=ivs, put_iv=ivs, forward=forward, t=t, atm_iv=0.24)
    call25, put25 = a + 0.25 * b, a + 0.75 * b
    assert rr == pytest.approx(call25 - put25, abs=2e-5)  # = -0.06
    assert bf == pytest.approx((call25 + put25) / 2 - 0.24, abs=2e-5)


def test_it_signs_gex_by_the_dealer_convention() -> None:
    exposure = gamma_exposure(
        gamma=[0.001, 0.001, 0.002], oi=[100, 100, 50], is_call=[True, False, True], forward=100.0
    )
    assert exposure.tolist() == pytest.approx([10.0, -10.0, 10.0])
    strikes, totals = gex_by_strike([110, 110, 120], exposure)
    assert strikes.tolist() == [110, 120]
    assert totals.tolist() == pytest.approx([0.0, 10.0])


def test_it_labels_sentiment_by_the_documented_rule() -> None:
    assert sentiment(pcr_oi=1.3, pcr_oi_change=1.5, forward=100, max_pain=100) == ("bullish", 2)
    assert sentiment(pcr_oi=0.7, pcr_oi_change=None, forward=110, max_pain=100) == ("bearish", -2)
    assert sentiment(pcr_oi=0.88, pcr_oi_change=None, forward=22821.08, max_pain=23150) == ("neutral", 1)


def test_it_interpolates_constant_maturity_iv_in_total_variance() -> None:
    t1, t2 = 10 / 365, 40 / 365
    value = constant_maturity_iv([(t1, 0.20), (t2, 0.30)])
    w = 0.04 * t1 + (0.09 * t2 - 0.04 * t1) * (30 / 365 - t1) / (t2 - t1)
    assert value == pytest.approx(math.sqrt(w / (30 / 365)))
    assert constant_maturity_iv([(40 / 365, 0.3), (60 / 365, 0.4)]) == 0.3  # flat before the first expiry
    assert constant_maturity_iv([]) is None


def test_it_time_weights_and_ranks_premiums() -> None:
    # 10 for 1 minute, then 20 for 3 minutes → (10 + 60) / 4 = 17.5
    assert time_weighted_average([0, 60], [10, 20], end=240) == pytest.approx(17.5)
    assert percentile_of(3, [1, 2, 3, 4]) == pytest.approx(62.5)
    assert percentile_of(3, []) is None


def test_it_builds_bands_and_rolling_correlations() -> None:
    bands = band_stats([[1, 2], [3, math.nan]])
    assert bands["mean"] == [2.0, 2.0]
    assert bands["upper"] == [3.0, 2.0]
    assert bands["min"] == [1.0, 2.0]
    x = [1, 2, 3, 4, 5]
    corr = rolling_correlation(x, [-2 * v for v in x], 3)
    assert corr[:2] == [None, None]
    assert corr[2:] == pytest.approx([-1.0, -1.0, -1.0])
