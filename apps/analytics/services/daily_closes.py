"""The daily-close rollups (ChainDailyClose, UnderlyingDailyClose) beside what triggers cannot see.

Database triggers keep the rollups as rows are written or deleted (migration 0007, docs/history.md); dropping a
day's partitions (archiving it) deletes no row, so the archive calls ``daily_closes_forget`` in the same
transaction. A restored day's rows are copied back through the partition, whose triggers fold them in again.
"""

from __future__ import annotations

from datetime import date

from django.db import connections

from apps.analytics.models import ChainDailyClose, UnderlyingDailyClose


def daily_closes_forget(*, day: date) -> int:
    """Forget the closes the IST day ``day``'s dropped partitions held: its chain rows, and its India VIX close
    (from the underlying quotes; the volatility snapshots are not partitioned and stay, so do their closes).
    Returns the rows changed."""
    chain, _ = ChainDailyClose.objects.filter(day=day).delete()
    vix = UnderlyingDailyClose.objects.filter(day=day).update(vix_minute=None, spot=None, vix=None)
    return chain + vix


def daily_closes_compact(*, using: str = "default") -> list[str]:
    """Rewrite both rollups packed (``VACUUM (FULL, ANALYZE)``); returns the tables rewritten (none off
    PostgreSQL). Every snapshot and quote written updates its day's rollup row, so a session leaves ~375 dead
    versions of each row and the live rows end up one a page: a year of NIFTY was 888 rows in 5,260 pages (44
    MB), which plain VACUUM (and autovacuum) frees but does not pack, and every whole-archive history read
    visited all of them (17 ms against 0.4 ms packed, docs/history.md). Tiny tables: the rewrite takes
    milliseconds, under a lock that holds back the triggers' writes meanwhile, so run it when nothing collects
    (the nightly compaction). Needs autocommit (VACUUM cannot run in a transaction)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    tables = [ChainDailyClose._meta.db_table, UnderlyingDailyClose._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM (FULL, ANALYZE) "{table}"')
    return tables
