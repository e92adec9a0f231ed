"""python manage.py export_day: every leg of a day and each chain, as CSV or Parquet; bad input stops first."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.api.exports import CHAIN_COLUMNS, QUOTE_COLUMNS
from tests.factories.market import BankNiftyFactory

pytestmark = pytest.mark.django_db


def _csv(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_it_writes_every_leg_and_the_merged_chain_as_csv(archived_chain, tmp_path) -> None:
    BankNiftyFactory()  # no quotes that day: no chain file of its own

    call_command("export_day", "--date", "2026-01-19", "--format", "csv", "--out", str(tmp_path / "out"))

    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["chain_NIFTY_2026-01-19.csv", "quotes_2026-01-19.csv"]
    legs = _csv(out / "quotes_2026-01-19.csv")
    assert len(legs) == 30 and list(legs[0]) == QUOTE_COLUMNS  # 09:30: 2 expiries x 5 strikes x 2; 09:31: 10
    assert legs[0]["ts"] == "2026-01-19T09:30:00+05:30" and legs[0]["tradingsymbol"] == "NIFTY2612022900CE"
    chain = _csv(out / "chain_NIFTY_2026-01-19.csv")
    assert len(chain) == 15 and list(chain[0]) == CHAIN_COLUMNS
    atm = next(r for r in chain if r["ts"] == "2026-01-19T09:31:00+05:30" and r["strike"] == "23000.0")
    assert (atm["ce_last_price"], atm["pe_last_price"], atm["ce_buildup"]) == ("91.5", "81.5", "long_buildup")


def test_it_writes_parquet_for_one_symbol_with_typed_columns(archived_chain, tmp_path) -> None:
    call_command("export_day", "--date", "2026-01-19", "--format", "parquet", "--symbol", "nifty", "--out",
                 str(tmp_path))  # fmt: skip

    legs = pq.read_table(tmp_path / "quotes_NIFTY_2026-01-19.parquet")
    assert legs.num_rows == 30 and legs.column_names == QUOTE_COLUMNS
    chain = pq.read_table(tmp_path / "chain_NIFTY_2026-01-19.parquet")
    assert chain.num_rows == 15 and chain.column_names == CHAIN_COLUMNS
    assert chain.schema.field("ts").type == pa.timestamp("ms", tz="Asia/Kolkata")
    assert chain.schema.field("pe_oi").type == pa.int64()
    row = next(r for r in chain.to_pylist() if r["strike"] == 23000.0 and r["ts"].minute == 31)
    assert (row["ce_oi"], row["pe_oi"]) == (1_010_000, 1_010_007)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--date", "19-01-2026", "--format", "csv"], "--date '19-01-2026' is not a date; use YYYY-MM-DD"),
        (["--date", "2026-01-19", "--format", "csv", "--symbol", "XYZ"], "Unknown symbol 'XYZ'; known symbols: NIFTY."),
        (["--date", "2026-01-18", "--format", "parquet"], "No option quotes are archived on 2026-01-18."),
    ],
)
def test_bad_input_stops_with_a_message_before_writing_anything(archived_chain, tmp_path, argv, message) -> None:
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=message) as error:
        call_command("export_day", *argv, "--out", str(out))
    assert error.value.returncode == 2
    assert not out.exists()


def test_an_unknown_format_is_refused_by_the_parser(archived_chain, tmp_path) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'xlsx'"):
        call_command("export_day", "--date", "2026-01-19", "--format", "xlsx", "--out", str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()
