"""instruments_sync and underlyings_load against real PostgreSQL, fed by the simulated market and by real Kite rows."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.brokers.base import Broker, InstrumentRow, QuoteDict
from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.instruments import instruments_sync
from apps.collection.tasks import instruments_sync_task
from apps.core.errors import ApplicationError
from apps.market.models import Instrument, Underlying
from apps.market.services import underlyings_load

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 19)


class DumpBroker(Broker):
    """A broker whose instruments dump is given rows (as pykiteconnect parses them); it has no quotes."""

    name = "dump"

    def __init__(self, rows: Sequence[InstrumentRow]):
        super().__init__()
        self.rows = list(rows)

    def _instruments(self, exchange: str | None) -> list[InstrumentRow]:
        return [dict(row) for row in self.rows if exchange is None or row.get("exchange") == exchange]

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        return {}

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        raise NotImplementedError


# Real rows from Kite dumps, parsed as pykiteconnect does (docs/kite-protocol.md §4.2, §4.5).
KITE_ROWS: list[dict[str, Any]] = [
    {"instrument_token": 738561, "exchange_token": "2885", "tradingsymbol": "RELIANCE", "name": "RELIANCE INDUSTRIES",
     "last_price": 0.0, "expiry": "", "strike": 0.0, "tick_size": 0.05, "lot_size": 1, "instrument_type": "EQ",
     "segment": "NSE", "exchange": "NSE"},
    {"instrument_token": 256265, "exchange_token": "1001", "tradingsymbol": "NIFTY 50", "name": "NIFTY 50",
     "last_price": 0.0, "expiry": "", "strike": 0.0, "tick_size": 0.0, "lot_size": 0, "instrument_type": "EQ",
     "segment": "INDICES", "exchange": "NSE"},
    {"instrument_token": 13238786, "exchange_token": "51714", "tradingsymbol": "NIFTY26SEPFUT", "name": "NIFTY",
     "last_price": 0.0, "expiry": date(2026, 9, 29), "strike": 0.0, "tick_size": 0.1, "lot_size": 65,
     "instrument_type": "FUT", "segment": "NFO-FUT", "exchange": "NFO"},
    {"instrument_token": 10967554, "exchange_token": "42842", "tradingsymbol": "NIFTY2692223350CE", "name": "NIFTY",
     "last_price": 0.0, "expiry": date(2026, 9, 22), "strike": 23350.0, "tick_size": 0.05, "lot_size": 65,
     "instrument_type": "CE", "segment": "NFO-OPT", "exchange": "NFO"},
    {"instrument_token": 12073986, "exchange_token": "47164", "tradingsymbol": "BANKNIFTY18JAN23500CE", "name": "",
     "last_price": 2528.4, "expiry": date(2027, 1, 25), "strike": 23500.0, "tick_size": 0.05, "lot_size": 40,
     "instrument_type": "CE", "segment": "NFO-OPT", "exchange": "NFO"},
    {"instrument_token": 218937093, "exchange_token": "855223", "tradingsymbol": "SENSEX2682078000CE",
     "name": "SENSEX", "last_price": 0.0, "expiry": date(2026, 8, 20), "strike": 78000.0, "tick_size": 0.05,
     "lot_size": 20, "instrument_type": "CE", "segment": "BFO-OPT", "exchange": "BFO"},
]  # fmt: skip


@pytest.fixture
def underlyings() -> None:
    underlyings_load()


@pytest.fixture
def sim() -> SimulatedBroker:
    return SimulatedBroker(seed=42, as_of=AS_OF)


def test_it_loads_the_five_underlyings_idempotently() -> None:
    assert underlyings_load() == 5
    Underlying.objects.filter(symbol="FINNIFTY").update(active=False, display_name="changed")
    assert underlyings_load() == 5
    rows = {u.symbol: u for u in Underlying.objects.all()}
    assert list(rows) == ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"]
    assert rows["NIFTY"].spot_key == "NSE:NIFTY 50" and rows["NIFTY"].spot_token == 256265
    assert rows["NIFTY"].has_weeklies and rows["SENSEX"].has_weeklies and not rows["BANKNIFTY"].has_weeklies
    assert rows["SENSEX"].spot_key == "BSE:SENSEX" and rows["SENSEX"].options_segment == "BFO-OPT"
    assert rows["MIDCPNIFTY"].spot_tradingsymbol == "NIFTY MID SELECT" and rows["MIDCPNIFTY"].spot_token == 288009
    assert rows["FINNIFTY"].display_name == "NIFTY FIN SERVICE"
    assert rows["FINNIFTY"].active is False  # an operator's switch survives a reload


def test_it_syncs_the_simulated_dump_and_links_contracts(underlyings: None, sim: SimulatedBroker) -> None:
    listed = sim.instruments()
    result = instruments_sync(broker=sim, today=AS_OF)
    assert result.created == len(listed) == Instrument.objects.count()
    assert result.updated == result.deactivated == 0
    assert {name: counts.listed for name, counts in result.per_exchange.items()} == {
        exchange: sum(1 for row in listed if row["exchange"] == exchange) for exchange in ("NFO", "BFO", "NSE", "BSE")
    }
    nifty = Underlying.objects.get(symbol="NIFTY")
    options = Instrument.objects.filter(name="NIFTY", instrument_type__in=["CE", "PE"])
    assert options.count() > 1000 and not options.exclude(underlying=nifty).exists()
    assert Instrument.objects.filter(tradingsymbol="SENSEX26NOVFUT", underlying__symbol="SENSEX").exists()
    assert not Instrument.objects.filter(segment__in=["NSE", "INDICES"], underlying__isnull=False).exists()
    reliance = Instrument.objects.get(exchange="NSE", tradingsymbol="RELIANCE")
    assert reliance.instrument_token == 738561 and reliance.exchange_token == "2885" and reliance.lot_size == 1
    assert result.spot_linked == 5
    for underlying in Underlying.objects.select_related("spot_instrument"):
        assert underlying.spot_instrument is not None
        assert underlying.spot_instrument.tradingsymbol == underlying.spot_tradingsymbol
        assert underlying.spot_instrument.segment == "INDICES" and underlying.spot_instrument.lot_size == 0
        assert underlying.spot_instrument.instrument_token == underlying.spot_token


def test_it_changes_nothing_on_a_second_sync(underlyings: None, sim: SimulatedBroker) -> None:
    instruments_sync(broker=sim, today=AS_OF)
    before = list(Instrument.objects.order_by("pk").values())
    again = instruments_sync(broker=sim, today=AS_OF)
    assert (again.created, again.updated, again.deactivated) == (0, 0, 0)
    assert again.unchanged == len(before)
    assert list(Instrument.objects.order_by("pk").values()) == before


def test_it_updates_a_changed_row(underlyings: None) -> None:
    instruments_sync(broker=DumpBroker(KITE_ROWS), exchanges=["NFO"], today=date(2026, 8, 1))
    changed = [dict(row, lot_size=75) if row["tradingsymbol"] == "NIFTY26SEPFUT" else row for row in KITE_ROWS]
    result = instruments_sync(broker=DumpBroker(changed), exchanges=["NFO"], today=date(2026, 8, 1))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Instrument.objects.get(tradingsymbol="NIFTY26SEPFUT").lot_size == 75


def test_it_deactivates_delisted_and_expired_contracts(underlyings: None) -> None:
    first = SimulatedBroker(seed=42, as_of=AS_OF)
    instruments_sync(broker=first, today=AS_OF)
    later_day = date(2026, 11, 25)
    result = instruments_sync(broker=SimulatedBroker(seed=42, as_of=later_day), today=later_day)
    gone = [row for row in first.instruments() if row["expiry"] and row["expiry"] < later_day]
    assert gone, "the ladder of the 19th has expiries before the 25th"
    assert result.deactivated == len(gone)
    assert {row["expiry"] for row in gone} == {date(2026, 11, 19), date(2026, 11, 23)}
    assert Instrument.objects.filter(active=False).count() == len(gone)
    assert not Instrument.objects.filter(active=True, expiry__lt=later_day).exists()
    assert Instrument.objects.filter(active=True, expiry=date(2026, 12, 1), name="NIFTY").exists()


def test_it_deactivates_a_listed_contract_that_has_expired(underlyings: None) -> None:
    instruments_sync(broker=DumpBroker(KITE_ROWS), exchanges=["BFO"], today=date(2026, 8, 1))
    result = instruments_sync(broker=DumpBroker(KITE_ROWS), exchanges=["BFO"], today=date(2026, 8, 21))
    assert result.per_exchange["BFO"].deactivated == 1
    assert not Instrument.objects.get(tradingsymbol="SENSEX2682078000CE").active


def test_it_links_real_kite_rows_by_name_and_leaves_nameless_rows_unlinked(underlyings: None) -> None:
    result = instruments_sync(broker=DumpBroker(KITE_ROWS), exchanges=["NSE", "NFO", "BFO"], today=date(2026, 8, 1))
    assert result.created == 6
    linked = dict(Instrument.objects.values_list("tradingsymbol", "underlying__symbol"))
    assert linked == {
        "RELIANCE": None,
        "NIFTY 50": None,
        "NIFTY26SEPFUT": "NIFTY",
        "NIFTY2692223350CE": "NIFTY",
        "BANKNIFTY18JAN23500CE": None,  # the old dump has no name; the symbol is never parsed
        "SENSEX2682078000CE": "SENSEX",
    }
    nifty = Underlying.objects.get(symbol="NIFTY")
    assert nifty.spot_instrument == Instrument.objects.get(tradingsymbol="NIFTY 50")
    assert Underlying.objects.get(symbol="SENSEX").spot_instrument is None  # BSE was not synced


def _corrupt(rows: list[dict[str, Any]], symbol: str, **changes: Any) -> list[dict[str, Any]]:
    return [dict(row, **changes) if row["tradingsymbol"] == symbol else row for row in rows]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instrument_type": "XX"}, "unknown instrument_type 'XX'"),
        ({"expiry": "2026-13-01"}, "bad expiry '2026-13-01'"),
        ({"expiry": ""}, "a CE contract without an expiry"),
        ({"strike": "abc"}, "non-numeric"),
        ({"lot_size": -20}, "a negative strike, lot_size or tick_size"),
    ],
)
def test_it_rejects_a_malformed_dump_and_writes_nothing(underlyings: None, changes: dict, message: str) -> None:
    rows = _corrupt(KITE_ROWS, "SENSEX2682078000CE", **changes)
    with pytest.raises(ApplicationError, match=message) as info:
        instruments_sync(broker=DumpBroker(rows), exchanges=["NSE", "NFO", "BFO"], today=date(2026, 8, 1))
    assert "BFO, row 1 (SENSEX2682078000CE)" in info.value.message
    assert not Instrument.objects.exists()
    assert Underlying.objects.filter(spot_instrument__isnull=False).count() == 0


def test_it_rejects_a_row_without_the_kite_columns(underlyings: None) -> None:
    rows = [{key: value for key, value in row.items() if key != "segment"} for row in KITE_ROWS]
    with pytest.raises(ApplicationError, match="missing column"):
        instruments_sync(broker=DumpBroker(rows), exchanges=["NSE"])
    assert not Instrument.objects.exists()


def test_its_command_syncs_and_reports(underlyings: None, settings) -> None:
    out = io.StringIO()
    call_command("sync_instruments", "--exchange", "NSE", "--exchange", "BSE", "--broker", "simulated", stdout=out)
    assert "Instruments synced:" in out.getvalue()
    assert set(Instrument.objects.values_list("exchange", flat=True)) == {"NSE", "BSE"}
    assert Underlying.objects.get(symbol="SENSEX").spot_instrument.tradingsymbol == "SENSEX"


def test_its_command_exits_2_with_a_clear_message_on_a_bad_broker(underlyings: None) -> None:
    with pytest.raises(CommandError, match="Unknown broker 'nope'") as info:
        call_command("sync_instruments", "--broker", "nope", stdout=io.StringIO())
    assert info.value.returncode == 2


def test_its_load_command_loads_the_underlyings() -> None:
    out = io.StringIO()
    call_command("load_underlyings", stdout=out)
    assert out.getvalue().strip() == "5 underlyings loaded."
    assert Underlying.objects.count() == 5


def test_its_task_syncs_with_the_configured_broker(underlyings: None, settings) -> None:
    settings.OPTRADING_BROKER = "simulated"
    outcome = instruments_sync_task.delay(["NSE"]).get()
    assert outcome["created"] == Instrument.objects.count() > 50
    assert outcome["per_exchange"]["NSE"]["listed"] == outcome["created"]
    assert instruments_sync_task.name == "collection.instruments_sync"
