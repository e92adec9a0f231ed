"""import_bhavcopy on real NSE UDiFF F&O bhavcopies (tests/fixtures/exchange/fo_bhavcopy; origins in its README)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.market.models import Instrument, Underlying
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from tests.exchange_files import FO_BHAVCOPY

pytestmark = pytest.mark.django_db

UDIFF = FO_BHAVCOPY
CLOSE_27_MAR_2026 = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # 15:30 IST


@pytest.fixture(autouse=True)
def underlyings() -> None:
    underlyings_load()
    assert Underlying.objects.filter(symbol__in=["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"]).count() == 5


def _import(path: Path) -> str:
    out = io.StringIO()
    call_command("import_bhavcopy", str(path), stdout=out)
    return out.getvalue()


def _rejected(path: Path) -> str:
    with pytest.raises(CommandError) as info:
        call_command("import_bhavcopy", str(path), stdout=io.StringIO())
    assert info.value.returncode == 2
    assert not OptionQuote.objects.exists()
    assert not UnderlyingQuote.objects.exists()
    assert not Instrument.objects.exists()
    return str(info.value)


def _quote(tradingsymbol: str) -> OptionQuote:
    return OptionQuote.objects.select_related("instrument").get(instrument__tradingsymbol=tradingsymbol)


def test_it_stores_every_nifty_index_option_of_27_mar_2026_at_the_close() -> None:
    out = _import(UDIFF / "NIFTY_20260327.csv")

    # 2,123 IDO rows in the file (3 IDF rows are futures).
    assert OptionQuote.objects.count() == 2123
    assert set(OptionQuote.objects.values_list("minute", flat=True)) == {CLOSE_27_MAR_2026}
    assert set(OptionQuote.objects.values_list("source", flat=True)) == {"bhavcopy"}
    assert Instrument.objects.filter(exchange="NFO", segment="NFO-OPT").count() == 2123
    assert "2123 option quotes (NIFTY 2123)" in out
    assert "stored at 2026-03-27 15:30 IST" in out


def test_it_converts_contracts_to_units_and_uses_the_settlement_price() -> None:
    _import(UDIFF / "NIFTY_20260327.csv")

    # Row NIFTY2641324450CE: FinInstrmId 54870, PrvsClsgPric 113.95, SttlmPric 72.10, OI 6890, dOI 1365, vol 244, lot 65
    q = _quote("NIFTY2641324450CE")
    assert q.last_price == 72.10
    assert q.close_price == 113.95
    assert q.oi == 6890
    assert q.oi_change == 1365
    assert q.volume == 244 * 65
    assert q.spot == 22819.60
    assert (q.expiry, q.strike, q.option_type) == (date(2026, 4, 13), 24450.0, "CE")
    assert q.instrument.instrument_token == 54870 * 256 + 2
    assert q.instrument.exchange_token == "54870"
    assert q.instrument.lot_size == 65
    # Row: NIFTY26MAR22800PE: SttlmPric 203.05, OI 3,361,020, vol 2,516,395 contracts.
    put = _quote("NIFTY26MAR22800PE")
    assert (put.last_price, put.oi, put.volume, put.oi_change) == (203.05, 3361020, 2516395 * 65, 405275)


def test_it_prices_each_expiry_at_the_reference_forward_and_atm() -> None:
    _import(UDIFF / "NIFTY_20260327.csv")

    near = _quote("NIFTY26MAR22800PE")
    assert near.forward == pytest.approx(22821.08, abs=0.01)
    assert near.strike_offset == 0  # ATM 22800
    assert near.expiry_bucket == "this_week"  # the nearest expiry, also this month's (first bucket wins)
    week = OptionQuote.objects.get(expiry=date(2026, 4, 7), strike=22850, option_type="CE")
    assert week.forward == pytest.approx(22834.22, abs=0.01)
    assert week.strike_offset == 0  # ATM 22850 (spot ATM would be 22800)
    assert OptionQuote.objects.get(expiry=date(2026, 4, 7), strike=22800, option_type="CE").strike_offset == -1
    assert week.expiry_bucket == "next_week"
    assert OptionQuote.objects.filter(expiry=date(2026, 4, 28)).first().expiry_bucket == "next_month"
    assert OptionQuote.objects.filter(expiry=date(2026, 6, 30)).first().expiry_bucket == "other"


def test_it_stores_the_underlying_with_its_nearest_future() -> None:
    _import(UDIFF / "NIFTY_20260327.csv")

    quote = UnderlyingQuote.objects.get()
    assert quote.underlying.symbol == "NIFTY"
    assert quote.minute == CLOSE_27_MAR_2026
    assert quote.spot == 22819.60
    assert (quote.future, quote.future_expiry) == (22816.60, date(2026, 3, 30))
    # OpnIntrst of the three IDF rows (units), for rollover %: (14,345,565 + 1,871,610) / 25,269,660 = 64.18 %
    assert quote.futures_oi == {"2026-03-30": 9_052_485, "2026-04-28": 14_345_565, "2026-05-26": 1_871_610}
    assert quote.source == "bhavcopy"


def test_importing_twice_changes_nothing() -> None:
    _import(UDIFF / "NIFTY_20260327.csv")
    before = list(
        OptionQuote.objects.order_by("instrument_id").values_list("id", "last_price", "oi", "volume", "forward")
    )

    _import(UDIFF / "NIFTY_20260327.csv")

    after = list(
        OptionQuote.objects.order_by("instrument_id").values_list("id", "last_price", "oi", "volume", "forward")
    )
    assert after == before
    assert Instrument.objects.count() == 2123
    assert UnderlyingQuote.objects.count() == 1


def test_it_keeps_a_quote_collected_live_at_the_same_minute() -> None:
    _import(UDIFF / "NIFTY_20260327.csv")
    OptionQuote.objects.filter(instrument__tradingsymbol="NIFTY26MAR22800CE").update(source="collected", last_price=1.0)
    OptionQuote.objects.filter(source="bhavcopy").delete()  # as if only that quote had been collected live

    out = _import(UDIFF / "NIFTY_20260327.csv")

    live = _quote("NIFTY26MAR22800CE")
    assert (live.source, live.last_price) == ("collected", 1.0)  # the first writer keeps the minute
    assert "2122 option quotes (NIFTY 2122)" in out
    assert "1 quotes already archived at that minute were kept (the first writer keeps a minute)" in out
    assert OptionQuote.objects.count() == 2123


def test_it_imports_several_underlyings_and_a_zipped_file(tmp_path: Path) -> None:
    archive = tmp_path / "BhavCopy_NSE_FO_0_0_0_20260327_F_0000.csv.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(UDIFF / "BANKNIFTY_20260327.csv", "BhavCopy_NSE_FO_0_0_0_20260327_F_0000.csv")
    _import(archive)
    _import(UDIFF / "MIDCPNIFTY_20260327.csv")

    bank = OptionQuote.objects.filter(underlying__symbol="BANKNIFTY")
    assert bank.count() == 1381 - 3  # data rows minus the three futures
    assert bank.get(expiry=date(2026, 4, 28), strike=52600, option_type="CE").forward == pytest.approx(
        52582.66, abs=0.01
    )
    assert OptionQuote.objects.filter(underlying__symbol="MIDCPNIFTY").exists()


def test_it_stores_expiring_contracts_at_their_settlement_payoff() -> None:
    out = _import(UDIFF / "NIFTY_20260324.csv")

    # Expiring rows carry SttlmPric 22912.40 (the underlying's settlement value), not an option price.
    call, put = _quote("NIFTY2632422800CE"), _quote("NIFTY2632422800PE")
    assert call.last_price == pytest.approx(112.40)
    assert put.last_price == 0.0
    assert call.forward == 22912.40
    assert "expiry_settlement_payoff" in call.quality_flags
    deep_put = _quote("NIFTY2632423500PE")
    assert deep_put.last_price == pytest.approx(23500 - 22912.40)
    # Non-expiring contracts keep their own settlement price.
    assert _quote("NIFTY26MAR22800CE").last_price != 22912.40
    expiring = OptionQuote.objects.filter(expiry=date(2026, 3, 24))
    assert expiring.count() > 0
    assert not expiring.filter(last_price=22912.40).exists()
    assert f"{expiring.count()} contracts expired that day" in out
    assert set(OptionQuote.objects.values_list("minute", flat=True)) == {datetime(2026, 3, 24, 10, 0, tzinfo=UTC)}


def test_it_uses_each_contracts_own_lot_size() -> None:
    _import(UDIFF / "NIFTY_20250102.csv")

    monthly = _quote("NIFTY25JAN24000CE")  # lot 25, vol 231,589 contracts
    weekly = _quote("NIFTY2510224000CE")  # lot 75, expiring that day, vol 5,548,494 contracts
    assert monthly.instrument.lot_size == 25
    assert monthly.volume == 231589 * 25
    assert weekly.instrument.lot_size == 75
    assert weekly.volume == 5548494 * 75
    assert weekly.last_price == pytest.approx(24188.65 - 24000)
    assert (UnderlyingQuote.objects.get().future, UnderlyingQuote.objects.get().future_expiry) == (
        24282.65,
        date(2025, 1, 30),
    )


def _edited(tmp_path: Path, source: str, edit: Callable[[list[str]], list[str]]) -> Path:
    lines = (UDIFF / source).read_text().splitlines()
    target = tmp_path / source
    target.write_text("\n".join(edit(lines)) + "\n")
    return target


def test_it_rejects_a_file_missing_columns(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "FINNIFTY_20260327.csv", lambda ls: [ls[0].replace(",SttlmPric,", ",Settle,"), *ls[1:]])
    assert "missing column(s) SttlmPric" in _rejected(bad)


def test_it_rejects_a_non_numeric_value_naming_line_and_column(tmp_path: Path) -> None:
    def corrupt(lines: list[str]) -> list[str]:
        cells = lines[400].split(",")
        cells[21] = "abc"  # SttlmPric
        return [*lines[:400], ",".join(cells), *lines[401:]]

    assert "line 401, column SttlmPric: 'abc' is not a number" in _rejected(
        _edited(tmp_path, "FINNIFTY_20260327.csv", corrupt)
    )


def test_it_rejects_a_file_without_index_options(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "NIFTY_20260327.csv", lambda ls: [ls[0], *[line for line in ls[1:] if ",IDF," in line]])
    assert "no index option rows" in _rejected(bad)


def test_it_rejects_an_html_page(tmp_path: Path) -> None:
    page = tmp_path / "BhavCopy_BSE_FO_0_0_0_20260327_F_0000.CSV"
    page.write_text("<!DOCTYPE html>\n<html><head><title>BSE</title></head><body>No data</body></html>\n")
    assert "HTML page" in _rejected(page)


def test_it_rejects_a_file_of_unknown_underlyings(tmp_path: Path) -> None:
    bad = _edited(
        tmp_path, "FINNIFTY_20260327.csv", lambda ls: [line.replace(",FINNIFTY,", ",NIFTYNXT50,") for line in ls]
    )
    assert "no index option rows for a known underlying (file has NIFTYNXT50" in _rejected(bad)


def test_a_failure_midway_stores_nothing(tmp_path: Path) -> None:
    # One expiring row with a different settlement value breaks the expiry-day rule after rows were prepared.
    def corrupt(lines: list[str]) -> list[str]:
        out = list(lines)
        for i, line in enumerate(out):
            if ",NIFTY2632422800CE," in line:
                out[i] = line.replace(",22912.40,22912.40,", ",22912.40,22900.00,")
        return out

    message = _rejected(_edited(tmp_path, "NIFTY_20260324.csv", corrupt))
    assert "expiring 2026-03-24 rows carry 2 different settlement prices" in message


def test_it_exits_2_for_a_missing_file(tmp_path: Path) -> None:
    assert "is not a file" in _rejected(tmp_path / "nope.csv")
