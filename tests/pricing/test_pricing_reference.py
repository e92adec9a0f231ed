"""Reference values on the real NSE bhavcopy of 27-Mar-2026 (settle prices, r = 5.5 %, t = calendar days/365)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from pricing import atm_iv, atm_strike, implied_volatility, iv_percentile, iv_rank, resolve_forward
from tests.exchange_files import INDIA_VIX_DAILY

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pricing"
RATE = 0.055


@dataclass
class Chain:
    strikes: np.ndarray
    calls: np.ndarray
    puts: np.ndarray
    both_traded: np.ndarray
    spot: float
    t: float


def load_chain(name: str, expiry: str) -> Chain:
    with (FIXTURES / name).open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["FinInstrmTp"] == "IDO" and row["XpryDt"] == expiry]
    legs: dict[float, dict[str, dict[str, str]]] = {}
    for row in rows:
        legs.setdefault(float(row["StrkPric"]), {})[row["OptnTp"]] = row
    strikes = sorted(k for k, pair in legs.items() if {"CE", "PE"} <= pair.keys())
    trade_date = date.fromisoformat(rows[0]["TradDt"])
    return Chain(
        strikes=np.array(strikes),
        calls=np.array([float(legs[k]["CE"]["SttlmPric"]) for k in strikes]),
        puts=np.array([float(legs[k]["PE"]["SttlmPric"]) for k in strikes]),
        both_traded=np.array(
            [int(legs[k]["CE"]["TtlTradgVol"]) > 0 and int(legs[k]["PE"]["TtlTradgVol"]) > 0 for k in strikes]
        ),
        spot=float(rows[0]["UndrlygPric"]),
        t=(date.fromisoformat(expiry) - trade_date).days / 365,
    )


@pytest.mark.parametrize(
    ("fixture", "expiry", "forward", "atm", "iv"),
    [
        ("nifty_options_20260327_exp_0330_0407.csv", "2026-03-30", 22821.08, 22800.0, 25.88),
        ("nifty_options_20260327_exp_0330_0407.csv", "2026-04-07", 22834.22, 22850.0, 29.97),
        ("banknifty_options_20260327_exp_0428.csv", "2026-04-28", 52582.66, 52600.0, 29.68),
    ],
)
def test_it_reproduces_the_bhavcopy_forward_atm_and_atm_iv(
    fixture: str, expiry: str, forward: float, atm: float, iv: float
) -> None:
    chain = load_chain(fixture, expiry)
    f, method = resolve_forward(chain.strikes, chain.calls, chain.puts, chain.both_traded, chain.spot, chain.t, RATE)
    assert method == "parity"
    assert round(f, 2) == forward
    assert atm_strike(chain.strikes, f) == atm
    call_iv = implied_volatility(chain.calls, f, chain.strikes, chain.t, RATE, True)
    put_iv = implied_volatility(chain.puts, f, chain.strikes, chain.t, RATE, False)
    assert round(100 * atm_iv(chain.strikes, call_iv, put_iv, f), 2) == iv


def test_it_gives_the_call_25_74_beside_the_put_25_88_at_the_nifty_30_march_atm() -> None:
    chain = load_chain("nifty_options_20260327_exp_0330_0407.csv", "2026-03-30")
    f, _ = resolve_forward(chain.strikes, chain.calls, chain.puts, chain.both_traded, chain.spot, chain.t, RATE)
    at = chain.strikes == 22800.0
    assert round(100 * float(implied_volatility(chain.calls[at], f, 22800.0, chain.t, RATE, True)[0]), 2) == 25.74
    assert round(100 * float(implied_volatility(chain.puts[at], f, 22800.0, chain.t, RATE, False)[0]), 2) == 25.88


def test_it_ranks_india_vix_of_4_september_2026_against_the_last_252_sessions() -> None:
    with INDIA_VIX_DAILY.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["date"] == "2026-09-04"
    closes = [float(row["close"]) for row in rows][-252:]
    assert (min(closes), max(closes), closes[-1]) == (9.15, 27.89, 10.68)
    assert round(iv_rank(closes), 2) == 8.16
    assert round(iv_percentile(closes), 2) == 16.33
