"""The minute tables are partitioned by IST day on PostgreSQL: partitions made ahead, rows routed to their day,
and the migration that moves an existing archive across keeps every row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.analytics.models import ChainSnapshot
from apps.archive.services.partitions import DAY_TABLES, days_ahead, partitions_ahead, partitions_compact
from apps.archive.tasks import partitions_ahead_task
from apps.core import partitions
from apps.market.clock import to_ist
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from optrading.schedules import schedule
from tests.factories.marketdata import MINUTE, OptionQuoteFactory, UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db


def _names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {partition.name for partition in partitions.partitions_list(cursor, table)}


def _relation_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_three_minute_tables_are_partitioned_by_minute_with_a_default() -> None:
    with connection.cursor() as cursor:
        for spec in DAY_TABLES:
            assert partitions.is_partitioned(cursor, spec.table), spec.table
            cursor.execute("SELECT pg_get_partkeydef(%s::regclass)", [spec.table])
            assert cursor.fetchone()[0] == "RANGE (minute)"
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{spec.table}_default"])
            assert cursor.fetchone()[0]


def test_it_makes_today_and_the_next_trading_days_partitions_once() -> None:
    friday = date(2026, 1, 16)
    # Friday, then Monday to Thursday (the weekend has no session, so no partition ahead).
    assert days_ahead(today=friday, count=4) == [friday, *(date(2026, 1, d) for d in (19, 20, 21, 22))]

    created = partitions_ahead(today=friday, count=4)

    assert len(created) == 3 * 5
    for spec in DAY_TABLES:
        assert {f"{spec.table}_p20260116", f"{spec.table}_p20260122"} <= _names(spec.table)
        assert f"{spec.table}_p20260117" not in _names(spec.table)
    assert partitions_ahead(today=friday, count=4) == []


def test_the_option_partitions_keep_room_for_the_analytics_update() -> None:
    partitions_ahead(today=date(2026, 1, 16), count=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'marketdata_optionquote_p20260116'")
        assert cursor.fetchone()[0] == ["fillfactor=45"]


def test_a_row_lands_in_its_ist_day_and_one_waiting_in_the_default_moves_when_its_day_is_made() -> None:
    late = OptionQuoteFactory(minute=datetime(2026, 1, 19, 18, 29, tzinfo=UTC))  # 23:59 IST on the 19th
    assert _relation_of("marketdata_optionquote", late.pk) == "marketdata_optionquote_default"

    partitions_ahead(today=date(2026, 1, 19), count=1)

    assert _relation_of("marketdata_optionquote", late.pk) == "marketdata_optionquote_p20260119"
    after_midnight = OptionQuoteFactory(minute=datetime(2026, 1, 19, 18, 30, tzinfo=UTC), strike=23050.0)
    assert _relation_of("marketdata_optionquote", after_midnight.pk) == "marketdata_optionquote_p20260120"
    assert OptionQuote.objects.get(pk=late.pk).strike == 23000.0  # the ORM reads by id across partitions


def test_migrate_made_the_coming_days_partitions_and_beat_runs_the_task_daily() -> None:
    today = to_ist(timezone.now()).date()
    for spec in DAY_TABLES:
        assert partitions.partition_name(spec.table, today) in _names(spec.table)  # by post_migrate
    assert partitions_ahead_task.apply().get() == []  # nothing left to make today
    entries = {entry.task: entry for entry in schedule(now=datetime(2026, 1, 19, 4, 0, tzinfo=UTC))}
    assert entries["marketdata.partitions_ahead"].crontab == {"minute": "10", "hour": "6"}


@pytest.mark.django_db(transaction=True)
def test_a_closed_day_is_packed_once_and_keeps_every_row() -> None:
    partitions_ahead(today=date(2026, 1, 19), count=1)
    for strike in range(20000, 24000, 50):
        OptionQuoteFactory(strike=float(strike))
    OptionQuote.objects.filter(minute=MINUTE).update(iv=0.15, delta=0.5, buildup="long_buildup")
    rows = sorted(OptionQuote.objects.values_list("id", "strike", "iv", "delta", "buildup"))
    name = "marketdata_optionquote_p20260119"

    with connection.cursor() as cursor:
        cursor.execute("SELECT relfilenode FROM pg_class WHERE relname = %s", [name])
        before = cursor.fetchone()[0]

    assert partitions_compact(today=date(2026, 1, 20)) == [name]  # the 20th is today: not closed, not packed

    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions, relfilenode FROM pg_class WHERE relname = %s", [name])
        options, after = cursor.fetchone()
        assert options == ["fillfactor=100"]
        # VACUUM FULL rewrote the heap (a new file) with the 80 live rows. (Not "no dead tuple": a version some
        # other session's snapshot may still see survives the rewrite, and in CI one did; the statistics'
        # n_dead_tup, read before, arrive up to a second late and raced the VACUUM under load.)
        assert after != before
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        cursor.execute("SELECT tuple_count FROM pgstattuple(%s)", [name])
        assert cursor.fetchone()[0] == 80
    assert sorted(OptionQuote.objects.values_list("id", "strike", "iv", "delta", "buildup")) == rows
    assert partitions_compact(today=date(2026, 1, 20)) == []  # a day is packed once
    entries = {entry.task: entry for entry in schedule(now=datetime(2026, 1, 19, 4, 0, tzinfo=UTC))}
    assert entries["marketdata.partitions_compact"].crontab == {"minute": "30", "hour": "1"}


MARKETDATA_BEFORE = [("marketdata", "0003_drop_duplicate_indexes"), ("analytics", "0004_drop_duplicate_indexes")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_an_existing_archive_across_keeping_every_row() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(MARKETDATA_BEFORE)
    with connection.cursor() as cursor:
        for spec in DAY_TABLES:
            assert not partitions.is_partitioned(cursor, spec.table)
    days = [MINUTE, MINUTE + timedelta(minutes=1), MINUTE + timedelta(days=1)]
    quotes = [OptionQuoteFactory(minute=minute, strike=strike, iv=0.1234, quality_flags=["wide_spread"])
              for minute in days for strike in (23000.0, 23050.0)]  # fmt: skip
    # Spots through the model of that state (the current one has columns added since).
    spot_model = executor.loader.project_state(MARKETDATA_BEFORE).apps.get_model("marketdata", "UnderlyingQuote")
    spots = [spot_model.objects.create(underlying_id=quotes[0].underlying_id, minute=minute, spot=23000.0 + i)
             for i, minute in enumerate(days)]  # fmt: skip
    snapshot = ChainSnapshot.objects.create(underlying=quotes[0].underlying, expiry=date(2026, 1, 20),
                                            minute=MINUTE, t_years=0.01, spot=23010.0, forward=23030.0,
                                            forward_source="parity", by_strike={"strikes": [23000.0]})  # fmt: skip
    before = {
        "quotes": sorted(OptionQuote.objects.values_list("id", "minute", "strike", "iv", "quality_flags")),
        "spots": sorted(UnderlyingQuote.objects.values_list("id", "minute", "spot")),
        "snapshots": list(ChainSnapshot.objects.values_list("id", "minute", "by_strike")),
    }

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([key for key in executor.loader.graph.leaf_nodes() if key[0] in ("marketdata", "analytics")])

    assert sorted(OptionQuote.objects.values_list("id", "minute", "strike", "iv", "quality_flags")) == before["quotes"]
    assert sorted(UnderlyingQuote.objects.values_list("id", "minute", "spot")) == before["spots"]
    # Minutes stored before the futures' open interest was kept say "unknown" (NULL), not "no future" ({}).
    assert set(UnderlyingQuote.objects.values_list("futures_oi", flat=True)) == {None}
    assert list(ChainSnapshot.objects.values_list("id", "minute", "by_strike")) == before["snapshots"]
    assert _names("marketdata_optionquote") >= {"marketdata_optionquote_p20260119", "marketdata_optionquote_p20260120"}
    assert _relation_of("marketdata_optionquote", quotes[-1].pk) == "marketdata_optionquote_p20260120"
    assert _relation_of("analytics_chainsnapshot", snapshot.pk) == "analytics_chainsnapshot_p20260119"
    # The sequence goes on after the moved rows, and the unique key still holds across partitions.
    fresh = UnderlyingQuoteFactory(underlying=quotes[0].underlying, minute=MINUTE + timedelta(days=2))
    assert fresh.pk > max(spot.pk for spot in spots)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                       ["marketdata_optionquote_pkey"])  # fmt: skip
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, minute)"
