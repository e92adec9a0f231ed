"""The gamma flip: where net GEX, recomputed at other forwards with sticky-strike IVs, changes sign."""

from __future__ import annotations

import numpy as np

from apps.analytics.metrics.exposure import gamma_flip, net_gamma_at


def test_the_flip_lies_between_put_heavy_strikes_below_and_call_heavy_strikes_above() -> None:
    strikes = np.array([22500.0, 23500.0])
    is_call = np.array([False, True])
    oi = np.array([1_000_000.0, 1_000_000.0])
    ivs = np.array([0.15, 0.15])

    flip = gamma_flip(forward=23000.0, strikes=strikes, oi=oi, is_call=is_call, ivs=ivs, t=7 / 365, r=0.055)

    # Symmetric books in log-strike: the flip is near the geometric middle of the strikes, where each side's
    # gamma balances; net GEX is negative just below it and positive just above.
    assert flip is not None and 22900 < flip < 23100
    below, above = net_gamma_at(
        [flip - 20, flip + 20], strikes=strikes, oi=oi, is_call=is_call, ivs=ivs, t=7 / 365, r=0.055
    )
    assert below < 0 < above


def test_there_is_no_flip_when_gamma_keeps_one_sign_or_nothing_has_an_iv() -> None:
    args = {"strikes": np.array([23000.0]), "oi": np.array([5e5]), "is_call": np.array([True]), "t": 7 / 365}
    assert gamma_flip(forward=23000.0, ivs=np.array([0.15]), r=0.055, **args) is None
    assert gamma_flip(forward=23000.0, ivs=np.array([np.nan]), r=0.055, **args) is None
