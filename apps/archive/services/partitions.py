"""Which tables are partitioned by day, and the partitions made ahead of the coming trading days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from apps.analytics.models import ChainSnapshot
from apps.core import partitions
from apps.market.calendar import next_trading_day
from apps.market.clock import to_ist
from apps.marketdata.models import OptionQuote, UnderlyingQuote


@dataclass(frozen=True)
class DayTable:
    table: str
    fillfactor: int | None


DAY_TABLES: tuple[DayTable, ...] = (
    DayTable(OptionQuote._meta.db_table, 45),  # room on each page for analytics' HOT update (docs/archive.md)
    DayTable(UnderlyingQuote._meta.db_table, None),
    DayTable(ChainSnapshot._meta.db_table, None),
)
"""The minute tables partitioned by IST day on PostgreSQL, with each partition's fillfactor."""


def days_ahead(*, today: date, count: int) -> list[date]:
    """``today`` and the next ``count`` trading days (today even when it is no trading day: the simulated
    market collects on any day)."""
    days = [today]
    day = today
    for _ in range(count):
        day = next_trading_day(day)
        days.append(day)
    return days


def partitions_ahead(*, today: date | None = None, count: int | None = None, using: str = "default") -> list[str]:
    """Create the partitions of today and the next ``count`` trading days that do not exist yet (idempotent);
    returns their names. Nothing on SQLite or on tables not (yet) partitioned."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    today = today or to_ist(timezone.now()).date()
    count = int(settings.OPTRADING_PARTITIONS_AHEAD) if count is None else count
    created = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for spec in DAY_TABLES:
            if not partitions.is_partitioned(cursor, spec.table):
                continue
            for day in days_ahead(today=today, count=count):
                if partitions.partition_create(cursor, spec.table, day, fillfactor=spec.fillfactor):
                    created.append(partitions.partition_name(spec.table, day))
    return created


def partitions_compact(*, today: date | None = None, using: str = "default") -> list[str]:
    """Pack the option-quote partitions of days before ``today`` still at their live fillfactor: fillfactor
    100 and ``VACUUM FULL`` (one version per row, no room kept for updates that will not come; 708 → 414 B
    per option-minute measured, docs/archive.md). Takes that one partition's lock for the rewrite; a day
    compacted is left alone after. Needs autocommit (VACUUM cannot run in a transaction)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    today = today or to_ist(timezone.now()).date()
    spec = DAY_TABLES[0]
    done = []
    with connection.cursor() as cursor:
        if not partitions.is_partitioned(cursor, spec.table):
            return []
        for partition in partitions.partitions_list(cursor, spec.table):
            if partition.day >= today:
                continue
            cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)", [partition.name])
            if f"fillfactor={spec.fillfactor}" not in (cursor.fetchone()[0] or []):
                continue
            cursor.execute(f'ALTER TABLE "{partition.name}" SET (fillfactor = 100)')
            cursor.execute(f'VACUUM (FULL, ANALYZE) "{partition.name}"')
            done.append(partition.name)
    return done
