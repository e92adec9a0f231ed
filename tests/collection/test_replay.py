"""Replay: a collected simulated day, replayed from the stored quotes into a fresh database, is the same day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import minute_collect
from apps.market.clock import IST
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote, UnderlyingQuote

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replay_source"])

NOW = datetime(2026, 11, 30, 10, 15, 5, tzinfo=IST)  # Monday: the simulated clock starts at Friday's open
DAY = "2026-11-27"
SYMBOLS = ["NIFTY", "BANKNIFTY"]


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(_url("postgres").replace("postgres://", "postgresql://"), autocommit=True)


@pytest.fixture
def target() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_replay"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _url(name)
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _collected_day(minutes: int = 4) -> None:
    broker = SimulatedBroker(seed=42, as_of=NOW.date())
    underlyings_load()
    instruments_sync(broker=broker)
    for _ in range(minutes):
        outcome = minute_collect(now=NOW, broker=broker, underlyings=SYMBOLS)
        assert outcome.run is not None and outcome.run.status == "success"


def _rows(url: str, model: type, *, drop: set[str], joins: str, keys: str) -> list[tuple]:
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column not in drop]
    sql = (
        f"SELECT {keys}, {', '.join(f't.{c}' for c in columns)} FROM {table} t "
        f"JOIN market_underlying u ON u.id = t.underlying_id {joins} ORDER BY 1, 2, 3"
    )
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        rows = db.execute(sql).fetchall()
    return [tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row) for row in rows]


def _archive(url: str) -> dict[str, list[tuple]]:
    return {
        "options": _rows(
            url,
            OptionQuote,
            drop={"id", "instrument_id", "underlying_id", "analysed_at"},
            joins="JOIN market_instrument i ON i.id = t.instrument_id",
            keys="t.minute, i.tradingsymbol, u.symbol",
        ),
        "underlyings": _rows(
            url, UnderlyingQuote, drop={"id", "underlying_id"}, joins="", keys="t.minute, u.symbol, 0"
        ),
        "snapshots": _rows(
            url,
            ChainSnapshot,
            drop={"id", "underlying_id", "computed_at"},
            joins="",
            keys="t.minute, u.symbol, t.expiry",
        ),
        "volatility": _rows(
            url, VolatilitySnapshot, drop={"id", "underlying_id"}, joins="", keys="t.minute, u.symbol, 0"
        ),
    }


def test_a_replayed_day_equals_the_original_quotes_and_snapshots_and_is_not_replayed_twice(target, capsys) -> None:
    """The day replayed into a fresh database is the same day; replaying it into that database again is refused
    (and changes nothing there): each replay into a fresh database migrates it first, about 5 s."""
    _collected_day()
    original = _archive(_url(connection.settings_dict["NAME"]))
    assert len(original["options"]) > 100 and len(original["snapshots"]) >= 4 * len(SYMBOLS)
    assert all(row[-1] is not None for row in original["options"][:1])

    call_command("replay", "--date", DAY, "--into", target, "--speed", "0")

    out = capsys.readouterr()
    assert (
        f"{DAY}: 4 of 4 minute(s) replayed for NIFTY, BANKNIFTY, {len(original['options'])} option quotes stored"
        in out.out
    )
    assert "4/4 minutes" in out.err
    replayed = _archive(target)
    for table, rows in original.items():
        assert replayed[table] == rows, table
    assert OptionQuote.objects.count() == len(original["options"])  # the source is untouched, and still default

    with pytest.raises(CommandError, match="already holds collected minutes") as raised:
        call_command("replay", "--date", DAY, "--into", target)
    assert raised.value.returncode == 2
    assert _archive(target) == replayed


def test_a_raw_archived_day_replays_to_the_same_archive(target, tmp_path, settings) -> None:
    """OPTRADING_RAW_ARCHIVE keeps every broker response; replay --raw feeds them back and stores the same day."""
    settings.OPTRADING_RAW_ARCHIVE = True
    settings.OPTRADING_ARCHIVE_DIR = str(tmp_path)
    _collected_day(minutes=3)
    minute_files = sorted(p.name for p in (tmp_path / "raw" / DAY).glob("*.jsonl.gz"))
    assert minute_files == ["0915.jsonl.gz", "0916.jsonl.gz", "0917.jsonl.gz"]
    assert len(list((tmp_path / "raw" / "instruments").glob("*.jsonl.gz"))) == 1
    original = _archive(_url(connection.settings_dict["NAME"]))

    call_command("replay", "--date", DAY, "--raw", "--into", target, *[a for s in SYMBOLS for a in ("--underlying", s)])

    replayed = _archive(target)
    for table, rows in original.items():
        assert replayed[table] == rows, table
    assert sorted(p.name for p in (tmp_path / "raw" / DAY).glob("*.jsonl.gz")) == minute_files  # not archived again


BAD_INPUT = [
    (["--date", "2026-11-26"], "No collected quotes are stored for any underlying on 2026-11-26"),
    (["--date", DAY, "--underlying", "NOPE"], "Unknown underlying NOPE"),
    (
        ["--date", DAY, "--underlying", "NIFTY", "--underlying", "SENSEX"],
        "No collected quotes are stored for SENSEX on 2026-11-27",
    ),
    (["--date", "27-11-2026"], "--date must be YYYY-MM-DD"),
    (["--date", DAY, "--speed", "-1"], "--speed must be 0"),
    (["--date", DAY, "--into", "sqlite:///x.sqlite3"], "--into must be a PostgreSQL URL"),
    (["--date", DAY, "--into", "self"], "names the database the day is replayed from"),
    (["--date", DAY, "--into", None], "Replaying the stored quotes needs --into"),
    (["--date", DAY, "--raw"], "No raw archive of 2026-11-27"),
]


def test_bad_input_is_refused_before_any_work(settings, tmp_path) -> None:
    """Every case against the same collected day (a day and its flush cost about 2 s a case): each is refused
    with its message and exit status 2, and none leaves a row behind or creates the database it names."""
    settings.OPTRADING_ARCHIVE_DIR = str(tmp_path)  # an empty raw archive
    _collected_day(minutes=1)
    stored = OptionQuote.objects.count(), UnderlyingQuote.objects.count(), ChainSnapshot.objects.count()
    for args, message in BAD_INPUT:
        if "--into" not in args:
            args = [*args, "--into", _url("optrading_replay_never_created")]
        args = [_url(connection.settings_dict["NAME"]) if a == "self" else a for a in args]
        if None in args:  # no --into at all
            args = args[: args.index("--into")]
        with pytest.raises(CommandError, match=message) as raised:
            call_command("replay", *args)
        assert raised.value.returncode == 2, args
    assert (OptionQuote.objects.count(), UnderlyingQuote.objects.count(), ChainSnapshot.objects.count()) == stored
    with _admin() as admin:
        names = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
    assert "optrading_replay_never_created" not in names
