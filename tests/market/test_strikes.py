from __future__ import annotations

import csv
from pathlib import Path

import pytest

from apps.market.strikes import atm_strike, parse_offsets, strike_offset, strike_step, strikes_for_offsets

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "market"


def _strikes(symbol: str, expiry: str) -> list[float]:
    with (FIXTURES / "nse_fo_strikes.csv").open() as handle:
        return [
            float(r["StrkPric"]) for r in csv.DictReader(handle) if r["TckrSymb"] == symbol and r["XpryDt"] == expiry
        ]


def test_it_finds_the_step_near_the_money_on_real_ladders() -> None:
    nifty = _strikes("NIFTY", "2026-03-30")
    assert strike_step(nifty, 22821.08) == 50
    assert strike_step(nifty, 30500) == 1000  # the far wings are listed 1000 apart
    assert strike_step(_strikes("BANKNIFTY", "2026-04-28"), 52582.66) == 100
    assert strike_step(_strikes("MIDCPNIFTY", "2026-04-28"), 12517.3) == 25


def test_it_picks_the_reference_atm_strikes() -> None:
    assert atm_strike(_strikes("NIFTY", "2026-03-30"), 22821.08) == 22800
    assert atm_strike(_strikes("NIFTY", "2026-04-07"), 22834.22) == 22850
    assert atm_strike(_strikes("BANKNIFTY", "2026-04-28"), 52582.66) == 52600


def test_it_breaks_an_atm_tie_upwards() -> None:
    assert atm_strike([22800.0, 22850.0, 22900.0], 22825.0) == 22850
    assert atm_strike([22800.0, 22850.0, 22900.0], 22824.99) == 22800


def test_it_rejects_empty_strike_lists() -> None:
    with pytest.raises(ValueError, match="No listed strikes"):
        atm_strike([], 100)
    with pytest.raises(ValueError, match="at least two"):
        strike_step([100.0], 100)


def test_it_counts_offsets_in_steps() -> None:
    assert strike_offset(22900, 22800, 50) == 2
    assert strike_offset(22700, 22800, 50) == -2
    with pytest.raises(ValueError, match="positive"):
        strike_offset(22700, 22800, 0)


def test_it_maps_offsets_to_listed_strikes_only() -> None:
    strikes = [22600.0, 22650.0, 22700.0, 22750.0, 22800.0, 22850.0, 22900.0, 23000.0]
    assert strikes_for_offsets(strikes, 22800, [-2, -1, 0, 1, 2, 3, 4]) == {
        -2: 22700.0,
        -1: 22750.0,
        0: 22800.0,
        1: 22850.0,
        2: 22900.0,
        4: 23000.0,
    }
    real = _strikes("NIFTY", "2026-03-30")
    assert strikes_for_offsets(real, 22800, range(-2, 3)) == {
        -2: 22700.0,
        -1: 22750.0,
        0: 22800.0,
        1: 22850.0,
        2: 22900.0,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-2..2", [-2, -1, 0, 1, 2]),
        ("-5..5", list(range(-5, 6))),
        ("-2,-1,0,1,2", [-2, -1, 0, 1, 2]),
        (" 1, -1 ,0", [-1, 0, 1]),
        ("0", [0]),
    ],
)
def test_it_parses_offsets(text: str, expected: list[int]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("2..-2", "'2..-2': the range start 2 is above its end -2"),
        ("-2..x", "'-2..x': '-2..x' is not an integer"),
        ("1,two,3", "'1,two,3': 'two' is not an integer"),
        ("-500..0", "more than 200 steps"),
    ],
)
def test_it_rejects_bad_offsets_naming_the_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        parse_offsets(text)
