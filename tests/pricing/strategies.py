"""Hypothesis strategies for option parameters over the ranges the pricing core promises to handle."""

from __future__ import annotations

import math

from hypothesis import strategies as st

MINUTE = 1.0 / 525_600.0
TICK = 0.05

forwards = st.floats(min_value=100.0, max_value=100_000.0)
log_moneyness = st.floats(min_value=-1.0, max_value=1.0)
# One minute to five years, and 1 % to 300 % volatility, drawn log-uniformly so both ends get exercised.
years = st.floats(min_value=math.log(MINUTE), max_value=math.log(5.0)).map(math.exp)
vols = st.floats(min_value=math.log(0.01), max_value=math.log(3.0)).map(math.exp)
rates = st.floats(min_value=-0.02, max_value=0.15)
sides = st.booleans()
