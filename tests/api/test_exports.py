from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apps.api.exports import CHAIN_COLUMNS, QUOTE_COLUMNS
from tests.api.conftest import NEXT_WEEKLY, WEEKLY, leg_price
from tests.factories.marketdata import OptionQuoteFactory

pytestmark = pytest.mark.django_db


def _csv_rows(response) -> tuple[list[dict[str, str]], list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return [dict(zip(header, row, strict=True)) for row in reader], header


@pytest.fixture
def around_midnight(archived_chain) -> None:
    """Two legs on either side of IST midnight: 00:30 IST on the 19th, 00:15 IST on the 20th."""
    nifty = archived_chain["underlying"]
    OptionQuoteFactory(underlying=nifty, minute=datetime(2026, 1, 18, 19, 0, tzinfo=UTC), strike=23500.0)
    OptionQuoteFactory(underlying=nifty, minute=datetime(2026, 1, 19, 18, 45, tzinfo=UTC), strike=23600.0)


def test_it_streams_every_leg_of_an_ist_day_as_csv(api, around_midnight) -> None:
    response = api.get("/api/v1/exports/quotes.csv", {"date": "2026-01-19"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="quotes_2026-01-19.csv"'
    rows, header = _csv_rows(response)
    assert header == QUOTE_COLUMNS
    # 00:30 IST leg + 09:30 (2 expiries x 5 strikes x 2) + 09:31 (1 expiry x 5 x 2); 00:15 IST on the 20th is out.
    assert len(rows) == 1 + 20 + 10
    assert rows[0]["ts"] == "2026-01-19T00:30:00+05:30" and rows[0]["strike"] == "23500.0"
    first_chain_leg = rows[1]
    assert first_chain_leg["ts"] == "2026-01-19T09:30:00+05:30"
    assert first_chain_leg["symbol"] == "NIFTY"
    assert first_chain_leg["tradingsymbol"] == "NIFTY2612022900CE"
    assert first_chain_leg["expiry"] == WEEKLY.isoformat()
    assert first_chain_leg["last_price"] == str(leg_price(22900, "CE", 0)) == "190.0"
    assert rows[-1]["ts"] == "2026-01-19T09:31:00+05:30"
    assert {row["quality_flags"] for row in rows if row["strike"] == "23100.0"} == {"stale_bid_ask"}


def test_it_files_a_leg_after_ist_midnight_under_the_next_day(api, around_midnight) -> None:
    rows, _ = _csv_rows(api.get("/api/v1/exports/quotes.csv", {"date": "2026-01-20"}))

    assert [(row["ts"], row["strike"]) for row in rows] == [("2026-01-20T00:15:00+05:30", "23600.0")]


def test_it_writes_the_same_legs_as_parquet_with_ist_timestamps(api, around_midnight) -> None:
    response = api.get("/api/v1/exports/quotes.parquet", {"date": "2026-01-19"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.column_names == QUOTE_COLUMNS
    assert table.num_rows == 31
    assert table.schema.field("ts").type == pa.timestamp("ms", tz="Asia/Kolkata")
    legs = table.to_pylist()
    assert legs[1]["ts"].isoformat() == "2026-01-19T09:30:00+05:30"
    assert legs[1]["tradingsymbol"] == "NIFTY2612022900CE"
    assert legs[1]["oi"] == 1_000_000
    assert legs[1]["oi_change"] == 12_000
    assert legs[1]["expiry"] == WEEKLY
    assert {tuple(leg["quality_flags"]) for leg in legs if leg["strike"] == 23100.0} == {("stale_bid_ask",)}


def test_it_writes_last_trade_time_as_an_ist_timestamp_in_parquet(api, db) -> None:
    """A day with a last_trade_time used to fail (500): the column was typed string in the Arrow schema."""
    traded = datetime(2026, 1, 19, 3, 59, 42, tzinfo=UTC)
    OptionQuoteFactory(last_trade_time=traded)
    OptionQuoteFactory(strike=23050.0, last_trade_time=None)

    response = api.get("/api/v1/exports/quotes.parquet", {"date": "2026-01-19"})

    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.schema.field("last_trade_time").type == pa.timestamp("ms", tz="Asia/Kolkata")
    by_strike = {leg["strike"]: leg["last_trade_time"] for leg in table.to_pylist()}
    assert by_strike[23000.0].isoformat() == "2026-01-19T09:29:42+05:30"
    assert by_strike[23050.0] is None


def test_it_writes_an_empty_parquet_file_with_columns_for_a_day_without_quotes(api, db) -> None:
    response = api.get("/api/v1/exports/quotes.parquet", {"date": "2026-01-24"})

    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.num_rows == 0
    assert table.column_names == QUOTE_COLUMNS


def test_it_merges_ce_and_pe_per_strike_and_minute_in_the_chain_export(api, around_midnight) -> None:
    response = api.get("/api/v1/exports/chain.csv", {"date": "2026-01-19", "symbol": "NIFTY"})

    assert response["Content-Disposition"] == 'attachment; filename="chain_NIFTY_2026-01-19.csv"'
    rows, header = _csv_rows(response)
    assert header == CHAIN_COLUMNS
    # 00:30 IST strike (CE only) + 09:30 (2 expiries x 5 strikes) + 09:31 (5 strikes)
    assert len(rows) == 1 + 10 + 5
    lone = rows[0]
    assert lone["strike"] == "23500.0" and lone["ce_last_price"] == "120.5" and lone["pe_last_price"] == ""
    atm = next(r for r in rows if r["ts"] == "2026-01-19T09:31:00+05:30" and r["strike"] == "23000.0")
    assert atm["expiry"] == WEEKLY.isoformat()
    assert atm["spot"] == "23011.0"
    assert atm["ce_last_price"] == str(leg_price(23000, "CE", 1)) == "91.5"
    assert atm["pe_last_price"] == str(leg_price(23000, "PE", 1)) == "81.5"
    assert (atm["ce_oi"], atm["pe_oi"]) == ("1010000", "1010007")
    assert (atm["ce_buildup"], atm["pe_buildup"]) == ("long_buildup", "short_covering")
    assert {r["expiry"] for r in rows if r["ts"] == "2026-01-19T09:30:00+05:30"} == {
        WEEKLY.isoformat(),
        NEXT_WEEKLY.isoformat(),
    }


@pytest.mark.parametrize(
    ("path", "query", "status", "message"),
    [
        ("quotes.csv", {}, 400, "date is required, as a date YYYY-MM-DD."),
        (
            "quotes.parquet",
            {"date": "19-01-2026"},
            400,
            "date='19-01-2026' is not a date; use YYYY-MM-DD, e.g. 2026-01-19.",
        ),
        ("chain.csv", {"date": "2026-01-19"}, 400, "symbol is required, e.g. symbol=NIFTY."),
        ("chain.csv", {"date": "2026-01-19", "symbol": "XYZ"}, 404, "Unknown symbol 'XYZ'; known symbols: NIFTY."),
    ],
)
def test_it_explains_bad_export_requests_in_json(api, archived_chain, path, query, status, message) -> None:
    response = api.get(f"/api/v1/exports/{path}", query, HTTP_ACCEPT="text/csv")

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": message}


@pytest.mark.parametrize("path", ["quotes.csv", "quotes.parquet", "chain.csv"])
def test_it_refuses_anonymous_exports(anon, path) -> None:
    assert anon.get(f"/api/v1/exports/{path}", {"date": "2026-01-19", "symbol": "NIFTY"}).status_code == 401
