"""The simulated market speaks Kite's shapes exactly and is a pure function of (seed, key, minute)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from apps.brokers.base import Broker, PermanentBrokerError, get_broker
from apps.brokers.simulated import SimulatedBroker
from apps.brokers.simulated.quotes import QuoteEngine
from apps.brokers.simulated.universe import strike_grid
from apps.market import rules
from apps.market.calendar import session_open
from apps.market.clock import IST
from apps.market.expiries import expiry_schedule

AS_OF = date(2026, 11, 19)
MINUTE = datetime(2026, 11, 20, 10, 30, tzinfo=IST)
INSTRUMENT_KEYS = {
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
}
QUOTE_KEYS = {
    "instrument_token",
    "timestamp",
    "last_trade_time",
    "last_price",
    "last_quantity",
    "buy_quantity",
    "sell_quantity",
    "volume",
    "average_price",
    "oi",
    "oi_day_high",
    "oi_day_low",
    "net_change",
    "lower_circuit_limit",
    "upper_circuit_limit",
    "ohlc",
    "depth",
}
SEGMENT_IDS = {"NSE": 1, "NFO": 2, "BSE": 4, "BFO": 5}


@pytest.fixture(scope="module")
def broker() -> SimulatedBroker:
    return SimulatedBroker(seed=42, as_of=AS_OF)


@pytest.fixture(scope="module")
def rows(broker: SimulatedBroker) -> list[dict]:
    return broker.instruments()


def _key(row: dict) -> str:
    return f"{row['exchange']}:{row['tradingsymbol']}"


def _chain_keys(rows: list[dict], name: str, expiry: date, low: float, high: float) -> list[str]:
    return [
        _key(row)
        for row in rows
        if row["name"] == name and row["expiry"] == expiry and low <= row["strike"] <= high and row["strike"] > 0
    ]


def test_it_is_registered_as_the_simulated_broker(settings) -> None:
    settings.OPTRADING_SIM_SEED = 7
    broker = get_broker("simulated")
    assert isinstance(broker, SimulatedBroker) and isinstance(broker, Broker)
    assert broker.simulated is True
    assert broker.seed == 7


def test_it_lists_rows_exactly_as_pykiteconnect_parses_them(rows: list[dict]) -> None:
    assert len(rows) > 5000
    for row in rows:
        assert set(row) == INSTRUMENT_KEYS
        assert type(row["instrument_token"]) is int
        assert type(row["exchange_token"]) is str
        assert type(row["last_price"]) is float
        assert type(row["strike"]) is float
        assert type(row["tick_size"]) is float
        assert type(row["lot_size"]) is int
        assert row["expiry"] == "" or type(row["expiry"]) is date
        segment_id = 9 if row["segment"] == "INDICES" else SEGMENT_IDS[row["exchange"]]
        assert row["instrument_token"] == int(row["exchange_token"]) * 256 + segment_id
        assert row["instrument_token"] < 2**32
    assert len({row["instrument_token"] for row in rows}) == len(rows)
    assert len({_key(row) for row in rows}) == len(rows)


def test_it_lists_the_real_index_tokens(rows: list[dict]) -> None:
    indices = {_key(row): row for row in rows if row["segment"] == "INDICES"}
    expected = {
        "NSE:NIFTY 50": 256265,
        "NSE:NIFTY BANK": 260105,
        "NSE:NIFTY FIN SERVICE": 257801,
        "NSE:NIFTY MID SELECT": 288009,
        "NSE:INDIA VIX": 264969,
        "BSE:SENSEX": 265,
        "NSE:NIFTY IT": 259849,
        "NSE:NIFTY OIL AND GAS": 289033,
    }
    for key, token in expected.items():
        assert indices[key]["instrument_token"] == token
        assert indices[key]["lot_size"] == 0 and indices[key]["tick_size"] == 0.0
        assert indices[key]["instrument_type"] == "EQ"
    stocks = [row for row in rows if row["segment"] == "NSE"]
    assert len(stocks) == 50
    assert {"RELIANCE", "M&M", "BAJAJ-AUTO", "TMPV", "ETERNAL"} <= {row["tradingsymbol"] for row in stocks}
    reliance = next(row for row in stocks if row["tradingsymbol"] == "RELIANCE")
    assert reliance["instrument_token"] == 738561


def test_it_lists_the_expiry_ladder_of_the_rules(rows: list[dict]) -> None:
    options = [row for row in rows if row["instrument_type"] in ("CE", "PE")]
    expiries = {
        name: sorted({row["expiry"] for row in options if row["name"] == name}) for name in rules.underlying_specs()
    }
    assert expiries["NIFTY"] == expiry_schedule("NIFTY", AS_OF, 4, 3)
    assert date(2026, 11, 23) in expiries["NIFTY"]  # the 24-Nov holiday shift
    assert all(expiry.weekday() == 1 for expiry in expiries["NIFTY"] if expiry != date(2026, 11, 23))
    assert all(expiry.weekday() == 3 for expiry in expiries["SENSEX"])
    assert len(expiries["SENSEX"]) == 7
    for name in ("BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"):
        assert expiries[name] == [date(2026, 11, 23), date(2026, 12, 29), date(2027, 1, 26)]
    futures = [row for row in rows if row["instrument_type"] == "FUT"]
    assert Counter(row["name"] for row in futures) == {name: 3 for name in rules.underlying_specs()}


def test_it_lists_contracts_with_the_dated_lot_sizes_and_steps(rows: list[dict]) -> None:
    lots = {(row["name"], row["lot_size"]) for row in rows if row["instrument_type"] in ("CE", "PE", "FUT")}
    assert lots == {("NIFTY", 65), ("BANKNIFTY", 30), ("FINNIFTY", 60), ("MIDCPNIFTY", 120), ("SENSEX", 20)}
    nifty = sorted({row["strike"] for row in rows if row["name"] == "NIFTY" and row["instrument_type"] == "CE"})
    assert {b - a for a, b in itertools.pairwise(nifty)} == {50.0}
    assert nifty[0] <= 25900 * 0.85 and nifty[-1] >= 25900 * 1.15
    assert strike_grid("MIDCPNIFTY")[1] - strike_grid("MIDCPNIFTY")[0] == 25


def test_it_writes_kite_tradingsymbols(rows: list[dict]) -> None:
    symbols = {row["tradingsymbol"] for row in rows}
    assert "NIFTY26NOV23500CE" in symbols  # monthly (moved to Mon 23-Nov)
    assert "NIFTY26D0123500PE" in symbols  # weekly 01-Dec-2026
    assert "NIFTY26DECFUT" in symbols
    assert "SENSEX26N1984500CE" in symbols  # weekly Thu 19-Nov-2026
    sensex_nov = [row for row in rows if row["tradingsymbol"].startswith("SENSEX26NOV")]
    assert sensex_nov and all(row["expiry"] == date(2026, 11, 26) for row in sensex_nov)


def test_it_filters_instruments_by_exchange(broker: SimulatedBroker) -> None:
    for exchange in ("NFO", "BFO", "NSE", "BSE"):
        listed = broker.instruments(exchange)
        assert listed and {row["exchange"] for row in listed} == {exchange}


def test_it_quotes_with_kites_exact_shape(broker: SimulatedBroker, rows: list[dict]) -> None:
    keys = ["NSE:NIFTY 50", "NSE:INDIA VIX", "BSE:SENSEX", "NSE:RELIANCE", "NFO:NIFTY26NOVFUT"]
    keys += _chain_keys(rows, "NIFTY", date(2026, 11, 23), 24000, 25000)
    quotes = broker.quote(keys, minute=MINUTE)
    assert set(quotes) == set(keys)
    for key, quote in quotes.items():
        assert set(quote) == QUOTE_KEYS, key
        assert type(quote["instrument_token"]) is int
        assert quote["timestamp"] == datetime(2026, 11, 20, 10, 30)
        assert quote["timestamp"].tzinfo is None
        assert quote["last_trade_time"] is None or quote["last_trade_time"].tzinfo is None
        for field in ("last_quantity", "buy_quantity", "sell_quantity", "volume", "oi", "oi_day_high", "oi_day_low"):
            assert type(quote[field]) is int, (key, field)
        for field in ("last_price", "average_price", "lower_circuit_limit", "upper_circuit_limit"):
            assert type(quote[field]) is float, (key, field)
        assert quote["net_change"] == 0
        assert set(quote["ohlc"]) == {"open", "high", "low", "close"}
        assert set(quote["depth"]) == {"buy", "sell"}
        for side in ("buy", "sell"):
            assert len(quote["depth"][side]) == 5
            for level in quote["depth"][side]:
                assert set(level) == {"price", "quantity", "orders"}
                assert type(level["price"]) is float and type(level["quantity"]) is int and type(level["orders"]) is int
    token_by_key = {_key(row): row["instrument_token"] for row in rows}
    assert all(quotes[key]["instrument_token"] == token_by_key[key] for key in keys)


def test_it_gives_indices_zero_volume_oi_and_depth(broker: SimulatedBroker) -> None:
    quote = broker.quote(["NSE:NIFTY 50"], minute=MINUTE)["NSE:NIFTY 50"]
    assert quote["volume"] == 0 and quote["oi"] == 0 and quote["buy_quantity"] == 0
    assert all(level == {"price": 0.0, "quantity": 0, "orders": 0} for level in quote["depth"]["buy"])
    assert quote["ohlc"]["low"] <= quote["last_price"] <= quote["ohlc"]["high"]
    assert 20000 < quote["last_price"] < 32000
    vix = broker.quote(["NSE:INDIA VIX"], minute=MINUTE)["NSE:INDIA VIX"]
    assert 5 < vix["last_price"] < 40


def test_it_prices_options_consistently(broker: SimulatedBroker, rows: list[dict]) -> None:
    expiry = date(2026, 12, 29)
    forward = broker.quote(["NFO:NIFTY26DECFUT"], minute=MINUTE)["NFO:NIFTY26DECFUT"]["last_price"]
    keys = _chain_keys(rows, "NIFTY", expiry, forward - 1000, forward + 1000)
    quotes = broker.quote(keys, minute=MINUTE)
    by_strike: dict[float, dict[str, dict]] = {}
    for row in rows:
        if _key(row) in quotes:
            by_strike.setdefault(row["strike"], {})[row["instrument_type"]] = quotes[_key(row)]
    strikes = sorted(by_strike)
    calls = [by_strike[k]["CE"]["last_price"] for k in strikes]
    puts = [by_strike[k]["PE"]["last_price"] for k in strikes]
    assert calls == sorted(calls, reverse=True) and puts == sorted(puts)  # calls fall, puts rise with the strike
    discount = math.exp(-0.055 * 39 / 365)
    for strike in strikes:
        call, put = by_strike[strike]["CE"], by_strike[strike]["PE"]
        for quote in (call, put):
            assert round(quote["last_price"] / 0.05, 6) == round(quote["last_price"] / 0.05)
            assert quote["oi"] % 65 == 0 and quote["volume"] % 65 == 0
            assert quote["oi_day_low"] <= quote["oi"] <= quote["oi_day_high"]
            bid, ask = quote["depth"]["buy"][0]["price"], quote["depth"]["sell"][0]["price"]
            if bid:
                assert bid < ask
        # Put-call parity on the forward (the future) holds within trade noise: C - P = e^{-rT} (F - K).
        parity = call["last_price"] - put["last_price"]
        assert abs(parity - discount * (forward - strike)) < 0.002 * forward
    atm = min(strikes, key=lambda k: abs(k - forward))
    # Skew: the put 500 below the forward is dearer than the call 500 above it.
    assert by_strike[atm - 500]["PE"]["last_price"] > by_strike[atm + 500]["CE"]["last_price"] * 1.2


def test_it_widens_spreads_away_from_the_money(broker: SimulatedBroker, rows: list[dict]) -> None:
    spot = broker.quote(["NSE:NIFTY 50"], minute=MINUTE)["NSE:NIFTY 50"]["last_price"]
    expiry = date(2026, 12, 29)
    keys = {
        row["strike"]: _key(row)
        for row in rows
        if row["name"] == "NIFTY" and row["expiry"] == expiry and row["instrument_type"] == "CE"
    }
    atm = min(keys, key=lambda k: abs(k - spot))
    near, far = broker.quote([keys[atm]], minute=MINUTE)[keys[atm]], broker.quote([keys[atm + 1000]], minute=MINUTE)

    def relative_spread(quote: dict) -> float:
        bid, ask = quote["depth"]["buy"][0]["price"], quote["depth"]["sell"][0]["price"]
        return (ask - bid) / ((ask + bid) / 2)

    assert relative_spread(far[keys[atm + 1000]]) > relative_spread(near)


def test_it_grows_volume_through_the_day(broker: SimulatedBroker, rows: list[dict]) -> None:
    key = "NFO:NIFTY26NOVFUT"
    volumes = [
        broker.quote([key], minute=datetime(2026, 11, 20, hour, minute, tzinfo=IST))[key]["volume"]
        for hour, minute in ((9, 15), (10, 0), (12, 0), (15, 0), (15, 39))
    ]
    assert volumes == sorted(volumes) and volumes[0] < volumes[-1]
    averages = broker.quote([key], minute=datetime(2026, 11, 20, 15, 0, tzinfo=IST))[key]
    assert averages["ohlc"]["low"] <= averages["average_price"] <= averages["ohlc"]["high"]


def test_its_near_future_rolls_over_in_its_expiry_week(broker: SimulatedBroker, rows: list[dict]) -> None:
    futures = sorted(
        (row for row in rows if row["name"] == "NIFTY" and row["instrument_type"] == "FUT"),
        key=lambda row: row["expiry"],
    )
    near, following = futures[0], futures[1]
    keys = [_key(near), _key(following)]

    def rollover(day: date) -> float:
        quotes = broker.quote(keys, minute=datetime(day.year, day.month, day.day, 15, 0, tzinfo=IST))
        return quotes[keys[1]]["oi"] / (quotes[keys[0]]["oi"] + quotes[keys[1]]["oi"]) * 100

    expiry = near["expiry"]
    # Two weeks out the near holds most of the OI; on its expiry day most of it has moved to the next month
    # (NSE's NIFTY futures one session before the March 2026 expiry: 64.18 % rolled).
    assert rollover(expiry - timedelta(days=14)) < 30
    assert rollover(expiry) > 60
    assert rollover(expiry - timedelta(days=14)) < rollover(expiry - timedelta(days=4)) < rollover(expiry)


def test_it_sets_last_trade_time_at_or_before_the_minute(broker: SimulatedBroker, rows: list[dict]) -> None:
    keys = _chain_keys(rows, "NIFTY", date(2026, 12, 1), 20000, 30000)
    quotes = broker.quote(keys[:500], minute=MINUTE)
    times = [quote["last_trade_time"] for quote in quotes.values() if quote["volume"]]
    assert times and all(time < datetime(2026, 11, 20, 10, 30) for time in times)
    assert any(time < datetime(2026, 11, 20, 10, 25) for time in times)  # far strikes trade rarely


def test_it_drops_unknown_and_expired_keys(broker: SimulatedBroker) -> None:
    quotes = broker.quote(["NSE:NOPE", "NFO:NIFTY26NOV23500CE", "NSE:NIFTY 50"], minute=MINUTE)
    assert set(quotes) == {"NFO:NIFTY26NOV23500CE", "NSE:NIFTY 50"}
    after_expiry = broker.quote(["NFO:NIFTY26NOV23500CE"], minute=datetime(2026, 11, 25, 10, 0, tzinfo=IST))
    assert after_expiry == {}


def test_it_rejects_more_than_500_keys(broker: SimulatedBroker, rows: list[dict]) -> None:
    keys = [_key(row) for row in rows[:501]]
    with pytest.raises(PermanentBrokerError, match=r"^Too many tokens requested\. Max permitted is 500\.$"):
        broker.quote(keys, minute=MINUTE)
    assert len(broker.quote(keys[:500], minute=MINUTE)) == 500


def test_it_is_deterministic_for_seed_and_minute(rows: list[dict]) -> None:
    keys = ["NSE:NIFTY 50", "NSE:RELIANCE", *_chain_keys(rows, "NIFTY", date(2026, 12, 8), 24000, 25000)]
    first = SimulatedBroker(seed=42, as_of=AS_OF).quote(keys, minute=MINUTE)
    # A brand-new engine (no cached days) that first prices a later day, then the keys in reverse with extras.
    other = SimulatedBroker(seed=42, as_of=AS_OF)
    other.engine = QuoteEngine(42)
    other.quote(keys[:3], minute=MINUTE + timedelta(days=5))
    second = other.quote([*reversed(keys), "BSE:SENSEX"], minute=MINUTE)
    assert {key: second[key] for key in keys} == first
    assert other.quote([keys[5]], minute=MINUTE)[keys[5]] == first[keys[5]]


def test_it_quotes_the_same_in_another_process(rows: list[dict]) -> None:
    keys = ["NSE:NIFTY 50", *_chain_keys(rows, "NIFTY", date(2026, 12, 29), 24500, 24600)]
    script = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'optrading.settings.test'; django.setup()\n"
        "from datetime import date, datetime; from apps.brokers.simulated import SimulatedBroker\n"
        "from apps.market.clock import IST\n"
        f"keys = {list(reversed(keys))!r}\n"
        "minute = datetime(2026, 11, 20, 10, 30, tzinfo=IST)\n"
        "quotes = SimulatedBroker(seed=42, as_of=date(2026, 11, 19)).quote(keys, minute=minute)\n"
        "fields = [(k, v['last_price'], v['oi'], v['volume'], v['depth']['buy'][0]['price'])"
        " for k, v in quotes.items()]\n"
        "print(repr(sorted(fields)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    here = SimulatedBroker(seed=42, as_of=AS_OF).quote(keys, minute=MINUTE)
    expected = sorted(
        (k, v["last_price"], v["oi"], v["volume"], v["depth"]["buy"][0]["price"]) for k, v in here.items()
    )
    assert done.stdout.strip() == repr(expected)


def test_it_moves_with_the_minute_and_the_seed(rows: list[dict]) -> None:
    keys = ["NSE:NIFTY 50", "NFO:NIFTY26NOVFUT"]
    now = SimulatedBroker(seed=42, as_of=AS_OF).quote(keys, minute=MINUTE)
    later = SimulatedBroker(seed=42, as_of=AS_OF).quote(keys, minute=MINUTE + timedelta(minutes=1))
    reseeded = SimulatedBroker(seed=43, as_of=AS_OF).quote(keys, minute=MINUTE)
    assert now["NSE:NIFTY 50"]["last_price"] != later["NSE:NIFTY 50"]["last_price"]
    assert now["NFO:NIFTY26NOVFUT"]["volume"] < later["NFO:NIFTY26NOVFUT"]["volume"]
    assert now["NSE:NIFTY 50"]["last_price"] != reseeded["NSE:NIFTY 50"]["last_price"]


def test_it_chains_the_previous_close_into_the_next_day(broker: SimulatedBroker) -> None:
    key = "NSE:NIFTY 50"
    close_of_19th = broker.quote([key], minute=datetime(2026, 11, 19, 15, 40, tzinfo=IST))[key]["last_price"]
    on_20th = broker.quote([key], minute=datetime(2026, 11, 20, 9, 15, tzinfo=IST))[key]
    assert on_20th["ohlc"]["close"] == close_of_19th
    holiday = broker.quote([key], minute=datetime(2026, 11, 24, 11, 0, tzinfo=IST))[key]
    close_of_23rd = broker.quote([key], minute=datetime(2026, 11, 23, 15, 40, tzinfo=IST))[key]["last_price"]
    assert holiday["last_price"] == close_of_23rd


def test_its_clock_starts_at_the_open_of_the_last_completed_session(broker: SimulatedBroker) -> None:
    during = datetime(2026, 11, 20, 11, 0, tzinfo=IST)
    assert broker.collection_minute(last_collected=None, now=during) == session_open(date(2026, 11, 19))
    after = datetime(2026, 11, 20, 16, 0, tzinfo=IST)
    assert broker.collection_minute(last_collected=None, now=after) == session_open(date(2026, 11, 20))
    on_holiday = datetime(2026, 11, 24, 12, 0, tzinfo=IST)
    assert broker.collection_minute(last_collected=None, now=on_holiday) == session_open(date(2026, 11, 23))
    assert broker.collection_minute(last_collected=None, now=during).tzinfo is UTC


def test_its_clock_steps_one_session_minute_and_rolls_over_closes(broker: SimulatedBroker) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=IST)
    step = broker.collection_minute(last_collected=datetime(2026, 11, 20, 10, 30, tzinfo=IST), now=now)
    assert step == datetime(2026, 11, 20, 10, 31, tzinfo=IST)
    last_minute = datetime(2026, 11, 20, 15, 39, tzinfo=IST)
    assert broker.collection_minute(last_collected=last_minute, now=now) == datetime(2026, 11, 23, 9, 15, tzinfo=IST)
    before_holiday = datetime(2026, 11, 23, 15, 39, tzinfo=IST)
    assert broker.collection_minute(last_collected=before_holiday, now=now) == datetime(2026, 11, 25, 9, 15, tzinfo=IST)


def test_its_clock_never_runs_ahead_of_now(broker: SimulatedBroker) -> None:
    last = datetime(2026, 11, 20, 10, 30, tzinfo=IST)
    assert broker.collection_minute(last_collected=last, now=datetime(2026, 11, 20, 10, 30, 40, tzinfo=IST)) == last
    assert broker.collection_minute(last_collected=last, now=datetime(2026, 11, 20, 10, 31, 2, tzinfo=IST)) == (
        datetime(2026, 11, 20, 10, 31, tzinfo=IST)
    )


def test_it_lists_instruments_for_the_date_its_clock_starts_on() -> None:
    clock = lambda: datetime(2026, 11, 25, 8, 30, tzinfo=IST)  # noqa: E731
    broker = SimulatedBroker(seed=42, clock=clock)
    assert broker.as_of() == date(2026, 11, 23)
    expiries = {row["expiry"] for row in broker.instruments("NFO") if row["name"] == "NIFTY"}
    assert min(expiries) == date(2026, 11, 23)
