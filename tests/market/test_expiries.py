from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from apps.market import rules
from apps.market.expiries import expiry_schedule, is_monthly_expiry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "market"


def _listed(trade_date: str, symbol: str) -> list[date]:
    with (FIXTURES / "nse_fo_expiries.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["TradDt"] == trade_date and row["TckrSymb"] == symbol]
    return sorted({date.fromisoformat(row["XpryDt"]) for row in rows})


def test_it_lists_the_real_nifty_ladder_of_27_march_2026() -> None:
    """4 weeklies + 3 monthlies as the exchange listed them, including the 31-Mar and 14-Apr holiday shifts."""
    ladder = expiry_schedule("NIFTY", date(2026, 3, 27), 4, 3)
    assert ladder == _listed("2026-03-27", "NIFTY")[:7]
    assert ladder == [
        date(2026, 3, 30),
        date(2026, 4, 7),
        date(2026, 4, 13),
        date(2026, 4, 21),
        date(2026, 4, 28),
        date(2026, 5, 5),
        date(2026, 5, 26),
    ]


def test_it_lists_the_real_thursday_nifty_ladder_of_2_january_2025() -> None:
    assert expiry_schedule("NIFTY", date(2025, 1, 2), 4, 3) == _listed("2025-01-02", "NIFTY")[:7]


@pytest.mark.parametrize("symbol", ["BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"])
def test_it_lists_only_monthlies_for_the_other_nse_indices(symbol: str) -> None:
    ladder = expiry_schedule(symbol, date(2026, 3, 27), 4, 3)
    assert ladder == [date(2026, 3, 30), date(2026, 4, 28), date(2026, 5, 26)]
    assert ladder == _listed("2026-03-27", symbol)[:3]


def test_it_lists_nifty_weeklies_on_tuesdays_and_moves_holiday_expiries_back() -> None:
    ladder = expiry_schedule("NIFTY", date(2026, 11, 17), 4, 3)
    assert ladder == [
        date(2026, 11, 17),
        date(2026, 11, 23),  # Tue 24-Nov-2026 is Guru Nanak Jayanti: the monthly moves to Monday
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 29),
        date(2027, 1, 26),
    ]
    assert all(expiry.weekday() == 1 for expiry in ladder if expiry != date(2026, 11, 23))
    assert is_monthly_expiry("NIFTY", date(2026, 11, 23))


def test_it_lists_sensex_on_thursdays_and_last_thursdays() -> None:
    ladder = expiry_schedule("SENSEX", date(2026, 8, 10), 4, 3)
    assert ladder == [
        date(2026, 8, 13),
        date(2026, 8, 20),
        date(2026, 8, 27),
        date(2026, 9, 3),
        date(2026, 9, 10),
        date(2026, 9, 24),
        date(2026, 10, 29),
    ]
    assert all(expiry.weekday() == 3 for expiry in ladder)


def test_it_moves_the_bse_march_2026_monthly_to_wednesday() -> None:
    assert expiry_schedule("SENSEX", date(2026, 3, 20), 0, 1) == [date(2026, 3, 25)]


def test_it_switches_from_thursday_to_tuesday_in_september_2025() -> None:
    ladder = expiry_schedule("NIFTY", date(2025, 8, 20), 4, 2)
    assert ladder[:4] == [date(2025, 8, 21), date(2025, 8, 28), date(2025, 9, 2), date(2025, 9, 9)]
    assert date(2025, 9, 30) in ladder


def test_it_includes_an_expiry_due_today() -> None:
    assert expiry_schedule("NIFTY", date(2026, 3, 24), 1, 0) == [date(2026, 3, 24)]


def test_it_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        expiry_schedule("NIFTY", date(2026, 3, 24), -1, 3)


def test_it_rejects_an_unknown_underlying() -> None:
    with pytest.raises(ValueError, match="Unknown underlying 'NIFTYX'"):
        expiry_schedule("NIFTYX", date(2026, 3, 24), 1, 1)


def test_it_gives_the_lot_sizes_the_exchange_listed() -> None:
    with (FIXTURES / "nse_fo_expiries.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    checked = 0
    for row in rows:
        expiry = date.fromisoformat(row["XpryDt"])
        if (expiry - date.fromisoformat(row["TradDt"])).days > 100:
            continue  # long-dated contracts are re-lotted at each revision; the rules date the near ones
        assert rules.lot_size(row["TckrSymb"], expiry) == int(row["NewBrdLotQty"]), row
        checked += 1
    assert checked > 20


def test_it_knows_the_current_lot_sizes() -> None:
    expiry = date(2026, 11, 24)
    assert {symbol: rules.lot_size(symbol, expiry) for symbol in rules.underlying_specs()} == {
        "NIFTY": 65,
        "BANKNIFTY": 30,
        "FINNIFTY": 60,
        "MIDCPNIFTY": 120,
        "SENSEX": 20,
    }
