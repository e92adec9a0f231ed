"""The daily-close rollups (ChainDailyClose, UnderlyingDailyClose) beside what triggers cannot see.

Database triggers keep the rollups as rows are written or deleted (migration 0007, docs/history.md); dropping a
day's partitions (archiving it) deletes no row, so the archive calls ``daily_closes_forget`` in the same
transaction. A restored day's rows are copied back through the partition, whose triggers fold them in again.
"""

from __future__ import annotations

from datetime import date

from apps.analytics.models import ChainDailyClose, UnderlyingDailyClose


def daily_closes_forget(*, day: date) -> int:
    """Forget the closes the IST day ``day``'s dropped partitions held: its chain rows, and its India VIX close
    (from the underlying quotes; the volatility snapshots are not partitioned and stay, so do their closes).
    Returns the rows changed."""
    chain, _ = ChainDailyClose.objects.filter(day=day).delete()
    vix = UnderlyingDailyClose.objects.filter(day=day).update(vix_minute=None, spot=None, vix=None)
    return chain + vix
