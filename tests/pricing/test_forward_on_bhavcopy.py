"""The forward rule on a real end-of-day file where no strike near spot traded on both legs.

NSE F&O bhavcopy of 27-Mar-2026, FINNIFTY, expiry 28-Apr-2026 (tests/fixtures/exchange/fo_bhavcopy), computed by
hand from the file: spot (UndrlygPric) 24373.20; r = 0.055; t = 32 calendar days / 365 = 0.0876712.

* Not one of the 94 strikes of this expiry traded on both legs (TtlTradgVol = 0 on every option row; LastPric
  0.00). Their SttlmPric are NSE's theoretical values. The five strikes nearest spot with both legs, with
  K + e^{rt}(C - P): 24400: 24400 + 1.0048335 x (521.85 - 431.25) = 24491.04; 24300: 24491.02; 24500: 24491.01;
  24200: 24491.00; 24600: 24491.03. That is spot carried at about our rate (24373.20 x e^{0.055 x 0.0877} =
  24491.01), not a market price.
* The FINNIFTY 28-Apr-2026 future (IDF) traded 244 contracts and settled at 24542.00.
* The rule (docs/conventions.md §2.2): no strike qualifies, so the forward is that future, 24542.00 ("future").
  ATM = the listed strike nearest 24542.00 = 24500 (strikes are 100 apart here), below the forward, so ATM IV is
  the 24500 put's: Black-76 IV of 480.65 on F = 24542.00 = 17.39 %. On the theoretical parity (24491.02) the ATM
  option would be the 24500 call (471.70), 16.54 %: most of a vol point lower.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from pricing import atm_iv, atm_strike, implied_volatility, resolve_forward, usable_price
from tests.exchange_files import FO_BHAVCOPY

RATE = 0.055
T = 32 / 365
SPOT = 24373.20
FUTURE = 24542.00


def _chain() -> dict[str, np.ndarray]:
    """Per strike with both legs listed: each leg's settlement price and contracts traded."""
    with (FO_BHAVCOPY / "FINNIFTY_20260327.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["FinInstrmTp"] == "IDO" and r["XpryDt"] == "2026-04-28"]
    legs: dict[float, dict[str, dict[str, str]]] = {}
    for row in rows:
        legs.setdefault(float(row["StrkPric"]), {})[row["OptnTp"]] = row
    strikes = sorted(k for k, pair in legs.items() if {"CE", "PE"} <= pair.keys())
    column = {
        f"{side}_{name}": np.array([float(legs[k][side][source]) for k in strikes])
        for side in ("CE", "PE")
        for name, source in (("price", "SttlmPric"), ("volume", "TtlTradgVol"))
    }
    return {"strikes": np.array(strikes), **column}


def test_it_takes_the_traded_future_when_no_strike_traded_on_both_legs() -> None:
    chain = _chain()
    no_quote = np.full(chain["strikes"].shape, np.nan)  # an end-of-day file has no bid or ask
    _, _, call_usable = usable_price(chain["CE_price"], no_quote, no_quote, chain["CE_volume"])
    _, _, put_usable = usable_price(chain["PE_price"], no_quote, no_quote, chain["PE_volume"])
    assert not (call_usable & put_usable).any()

    forward, source = resolve_forward(
        chain["strikes"],
        chain["CE_price"],
        chain["PE_price"],
        call_usable & put_usable,
        SPOT,
        T,
        RATE,
        future_price=FUTURE,
    )

    assert (forward, source) == (24542.00, "future")
    assert atm_strike(chain["strikes"], forward) == 24500.0
    call_iv = implied_volatility(chain["CE_price"], forward, chain["strikes"], T, RATE, True)
    put_iv = implied_volatility(chain["PE_price"], forward, chain["strikes"], T, RATE, False)
    assert atm_iv(chain["strikes"], call_iv, put_iv, forward) == pytest.approx(0.1739, abs=5e-5)


def test_the_theoretical_settlements_only_restate_spot_carried_at_the_rate() -> None:
    """Why they must not count: their parity forwards are the carry forward, whatever the market says."""
    chain = _chain()
    nearest = np.argsort(np.abs(chain["strikes"] - SPOT), kind="stable")[:5]
    parity = chain["strikes"][nearest] + math.exp(RATE * T) * (chain["CE_price"] - chain["PE_price"])[nearest]
    assert parity.tolist() == pytest.approx([24491.04, 24491.02, 24491.01, 24491.00, 24491.03], abs=0.005)
    assert SPOT * math.exp(RATE * T) == pytest.approx(24491.01, abs=0.005)
