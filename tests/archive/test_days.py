"""archive_partitions → restore_partitions: a day goes to zstd Parquet with a manifest, its partitions are
dropped, and it comes back with every value of every column of every row unchanged; each only once."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from apps.analytics.models import ChainSnapshot
from apps.archive.models import ArchivedDay
from apps.archive.services.partitions import DAY_TABLES, partitions_ahead
from tests.factories.marketdata import MINUTE, OptionQuoteFactory, UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 19)
TABLES = [spec.table for spec in DAY_TABLES]


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.OPTRADING_ARCHIVE_DIR = str(tmp_path / "archive")
    return tmp_path / "archive"


@pytest.fixture
def api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_user("archivist"))
    return client


@pytest.fixture
def day_rows(db) -> dict[str, int]:
    """A day of every minute table with awkward values: NULLs, long floats, JSON, a last-trade time, and a
    row of the next day that must stay."""
    partitions_ahead(today=DAY, count=1)
    first = OptionQuoteFactory(last_trade_time=MINUTE - timedelta(seconds=3, microseconds=250), iv=0.1234567890123,
                               delta=-0.333333333333333, quality_flags=["wide_spread", "stale_bid_ask"],
                               iv_source="mid", buildup="long_buildup")  # fmt: skip
    OptionQuoteFactory(strike=23050.0, bid=None, bid_qty=None, ask=None, ask_qty=None, average_price=None,
                       close_price=None, last_price=0.05, iv_error="no_solution: below intrinsic")  # fmt: skip
    OptionQuoteFactory(minute=MINUTE + timedelta(minutes=374), strike=23100.0, oi=0)
    OptionQuoteFactory(minute=MINUTE + timedelta(days=1), strike=23000.0)  # the 20th: not archived
    nifty = first.underlying
    UnderlyingQuoteFactory(underlying=nifty, futures={"2026-01-27": 23051.35, "2026-02-24": 23160.0}, vix=13.4567)
    UnderlyingQuoteFactory(underlying=nifty, minute=MINUTE + timedelta(minutes=1), spot_close=None)
    ChainSnapshot.objects.create(underlying=nifty, expiry=date(2026, 1, 20), minute=MINUTE, t_years=1 / 525600 * 1395,
                                 spot=23010.0, forward=23030.123456789, forward_source="parity", pcr_oi=None,
                                 by_strike={"strikes": [23000.0, 23050.0], "gex": [1.5e9, -2.25e-3]},
                                 buildup_counts={"long_buildup": 2})  # fmt: skip
    return {"marketdata_optionquote": 3, "marketdata_underlyingquote": 2, "analytics_chainsnapshot": 1}


def _rows(table: str) -> list[tuple]:
    """Every row of the table as PostgreSQL's text of each column (exact: floats to the last digit) and as
    the Python values psycopg reads (types, time zones, NULLs)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {table} AS t ORDER BY id")
        text = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")
        values = cursor.fetchall()
    return list(zip(text, values, strict=True))


def _exists(relation: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [relation])
        return cursor.fetchone()[0]


def test_a_day_goes_to_parquet_and_comes_back_with_every_column_of_every_row_unchanged(
    archive_dir, day_rows, capsys
) -> None:
    before = {table: _rows(table) for table in TABLES}

    call_command("archive_partitions", "--before", "2026-01-20")

    folder = archive_dir / "2026-01-19"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {table: info["rows"] for table, info in manifest["tables"].items()} == day_rows
    for table, info in manifest["tables"].items():
        path = folder / info["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"]
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
        assert not _exists(f"{table}_p20260119")
    option = manifest["tables"]["marketdata_optionquote"]
    assert (option["min_minute"], option["max_minute"]) == ("2026-01-19T04:00:00+00:00", "2026-01-19T10:14:00+00:00")
    after_archive = {table: _rows(table) for table in TABLES}
    assert len(after_archive["marketdata_optionquote"]) == 1  # only the 20th's row is left
    assert ArchivedDay.objects.get(day=DAY).restored_at is None
    assert "2026-01-19: archived to" in capsys.readouterr().out

    call_command("restore_partitions", "--date", "2026-01-19")

    assert {table: _rows(table) for table in TABLES} == before
    assert _exists("marketdata_optionquote_p20260119")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'marketdata_optionquote_p20260119'")
        assert cursor.fetchone()[0] == ["fillfactor=45"]
    assert ArchivedDay.objects.get(day=DAY).restored_at is not None


def test_a_day_archived_is_refused_a_second_time_and_restored_only_once(archive_dir, day_rows) -> None:
    call_command("archive_partitions", "--date", "2026-01-19")

    with pytest.raises(CommandError, match=r"2026-01-19 was already archived on .* restore it first with: "
                       r"python manage.py restore_partitions --date 2026-01-19") as again:  # fmt: skip
        call_command("archive_partitions", "--date", "2026-01-19")
    assert again.value.returncode == 2

    call_command("restore_partitions", "--from", "2026-01-01", "--to", "2026-01-31")
    with pytest.raises(CommandError, match=r"2026-01-19 was already restored on "):
        call_command("restore_partitions", "--date", "2026-01-19")


@pytest.mark.parametrize(
    ("command", "argv", "message"),
    [
        ("archive_partitions", ["--before", "19-01-2026"], "--before '19-01-2026' is not a date; use YYYY-MM-DD"),
        ("archive_partitions", ["--date", "2026-01-12"], "2026-01-12 has no partition in the database"),
        ("restore_partitions", ["--date", "2026-01-19"], "2026-01-19 was never archived: nothing to restore."),
        ("restore_partitions", ["--from", "2026-01-20", "--to", "2026-01-19"], "--from 2026-01-20 is after --to"),
        ("restore_partitions", [], "Give --date YYYY-MM-DD, or --from and --to."),
    ],
)
def test_bad_requests_stop_with_a_message_before_any_work(archive_dir, day_rows, command, argv, message) -> None:
    with pytest.raises(CommandError, match=message) as error:
        call_command(command, *argv)
    assert error.value.returncode == 2
    assert not archive_dir.exists() or not any(archive_dir.iterdir())
    assert _exists("marketdata_optionquote_p20260119")


def test_the_api_says_a_minute_of_an_archived_day_is_archived_not_missing(archive_dir, day_rows, api) -> None:
    call_command("archive_partitions", "--date", "2026-01-19")

    chain = api.get("/api/v1/option-chain/NIFTY", {"at": "2026-01-19T09:30:00+05:30"})
    export = api.get("/api/v1/exports/quotes.csv", {"date": "2026-01-19"})

    for response in (chain, export):
        assert response.status_code == 410
        error = response.json()["error"]
        assert error.startswith("2026-01-19 is archived (on ")
        assert error.endswith("restore with: python manage.py restore_partitions --date 2026-01-19")
    assert (
        api.get("/api/v1/option-chain/NIFTY", {"at": datetime(2026, 1, 20, 4, 0, tzinfo=UTC).isoformat()}).status_code
        == 200
    )


def test_a_day_whose_rows_wait_in_the_default_partition_is_archived_and_restored_whole(archive_dir) -> None:
    """Minutes written before beat made their day's partition land in the default partition; archiving the day
    moves them into a partition of their own first, so none is left behind."""
    quote = OptionQuoteFactory()  # no partition of the 19th: the default partition takes it
    OptionQuoteFactory(strike=23050.0, minute=MINUTE + timedelta(minutes=5))
    UnderlyingQuoteFactory(underlying=quote.underlying)
    assert not _exists("marketdata_optionquote_p20260119")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM marketdata_optionquote_default")
        assert cursor.fetchone()[0] == 2
    before = {table: _rows(table) for table in TABLES}

    call_command("archive_partitions", "--before", "2026-01-20")

    manifest = json.loads((archive_dir / "2026-01-19" / "manifest.json").read_text())
    assert {table: info["rows"] for table, info in manifest["tables"].items()} == {
        "marketdata_optionquote": 2,
        "marketdata_underlyingquote": 1,
    }
    assert all(_rows(table) == [] for table in TABLES)
    call_command("restore_partitions", "--date", "2026-01-19")
    assert {table: _rows(table) for table in TABLES} == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM marketdata_optionquote_default")
        assert cursor.fetchone()[0] == 0  # restored into the day's own partition
