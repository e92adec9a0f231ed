"""Benchmark (target 6): bytes on disk per stored option-minute and per chain snapshot, and in the Parquet export.

    .venv/bin/python benchmarks/storage.py [--minutes 12]

The rows are written by the real pipeline: ``chain_collect`` of the full chain of all five underlyings from the
simulated market (every listed strike within ±10 % of the forward, nearest 4 expiries), then
``analytics_compute`` as the worker runs it, minute after minute. Sizes are PostgreSQL's own
(``pg_table_size``: the heap with its TOAST, ``pg_indexes_size``; summed over every partition of a partitioned
table), measured as written and again after a
``VACUUM`` (which makes the dead row versions that analytics' UPDATE leaves reusable, though not smaller on
disk), and once more after ``partitions_compact`` packs the day as it does each night (fillfactor 100,
``VACUUM FULL``). The Parquet figure is the size of ``/api/v1/exports/quotes.parquet`` for the day over its rows.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support


def sizes(table: str) -> dict[str, Any]:
    """Heap (with TOAST) and index bytes of ``table``, summed over its partitions when it is partitioned (the
    parent of a partitioned table stores nothing itself: pg_table_size of it is 0)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_table_size(relid)), 0), coalesce(sum(pg_indexes_size(relid)), 0), "
            "count(*) FROM pg_partition_tree(%s) WHERE isleaf",
            [table],
        )
        heap, indexes, partitions = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(sum(s.n_dead_tup), 0), coalesce(sum(s.n_tup_upd), 0), coalesce(sum(s.n_tup_hot_upd), 0) "
            "FROM pg_partition_tree(%s) t JOIN pg_stat_user_tables s ON s.relid = t.relid WHERE t.isleaf",
            [table],
        )
        dead, updates, hot = (int(n) for n in cursor.fetchone())
        cursor.execute("SELECT count(*) FROM " + table)
        (rows,) = cursor.fetchone()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) "
            "FROM pg_partition_tree(i.indexrelid) t WHERE t.isleaf) FROM pg_index i WHERE i.indrelid = %s::regclass",
            [table],
        )
        per_index = {name: int(size) for name, size in cursor.fetchall()}
    heap, indexes = int(heap), int(indexes)
    return {"rows": rows, "heap_bytes": heap, "index_bytes": indexes, "dead_tuples": dead, "partitions": partitions,
            "updates": updates, "hot_updates": hot,
            "bytes_per_row": (heap + indexes) / rows if rows else None, "indexes": per_index}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=12)
    args = parser.parse_args()
    support.main_guard()
    os.environ["OPTRADING_CHAIN_SCOPE"] = "full"
    with support.bench_database("storage") as url:
        support.django_setup(url)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from apps.analytics.services.compute import analytics_compute
        from apps.brokers.base import get_broker
        from apps.collection.services.chain import chain_collect
        from apps.collection.services.instruments import instruments_sync
        from apps.market.clock import to_ist
        from apps.market.services import underlyings_load
        from optrading.celery import app

        app.conf.task_always_eager = False
        app.conf.broker_url = "memory://"
        underlyings_load()
        broker = get_broker()
        instruments_sync(broker=broker)
        first = chain_collect(broker=broker, now=timezone.now())
        assert first.minute is not None
        # The simulated market's minute may be of a day with no partition yet (the template made today's and
        # the days ahead): make its day's partitions as the beat does ahead, so the rows are stored as live
        # (option quotes at the live fillfactor), not in the default partition. The first minute moves in.
        from apps.archive.services.partitions import partitions_ahead, partitions_compact

        partitions_ahead(today=to_ist(first.minute).date(), count=0)
        analytics_compute()
        for i in range(1, args.minutes):
            minute = first.minute + timedelta(minutes=i)
            chain_collect(broker=broker, minute=minute, now=minute)
            analytics_compute()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        written = {t: sizes(t) for t in ("marketdata_optionquote", "analytics_chainsnapshot")}
        with connection.cursor() as cursor:
            cursor.execute("VACUUM marketdata_optionquote, analytics_chainsnapshot")
        vacuumed = {t: sizes(t) for t in ("marketdata_optionquote", "analytics_chainsnapshot")}
        # What the day becomes after its night: partitions_compact packs it (fillfactor 100, VACUUM FULL).
        packed_partitions = partitions_compact(today=to_ist(first.minute).date() + timedelta(days=1))
        packed = sizes("marketdata_optionquote")
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(get_user_model().objects.create_user("bench"))
        reply = client.get(f"/api/v1/exports/quotes.parquet?date={to_ist(first.minute).date().isoformat()}")
        parquet = None
        if reply.status_code == 200:
            parquet = b"".join(reply.streaming_content) if reply.streaming else reply.content
    quotes, snapshots = written["marketdata_optionquote"], written["analytics_chainsnapshot"]
    parquet_per_row = len(parquet) / quotes["rows"] if parquet is not None else None
    details = {"minutes": args.minutes, "day": to_ist(first.minute).date().isoformat(), "as_written": written,
               "after_vacuum": vacuumed,
               "option_quotes_packed": packed, "packed_partitions": packed_partitions,
               "parquet_bytes": len(parquet) if parquet is not None else None,
               "parquet_status": reply.status_code}  # fmt: skip
    targets = [
        support.Target("storage: bytes per option-minute (heap + indexes)", quotes["bytes_per_row"], 250, "B", "le",
                       note=f"{quotes['rows']:,} rows; heap {quotes['heap_bytes'] / quotes['rows']:.0f} B, "
                       f"indexes {quotes['index_bytes'] / quotes['rows']:.0f} B; {quotes['dead_tuples']:,} dead "
                       f"row versions; {quotes['hot_updates']:,} of {quotes['updates']:,} updates HOT"),
        support.Target("storage: bytes per option-minute, the day packed (partitions_compact)",
                       packed["bytes_per_row"], 250, "B", "le",
                       note=f"heap {packed['heap_bytes'] / packed['rows']:.0f} B, indexes "
                       f"{packed['index_bytes'] / packed['rows']:.0f} B; {', '.join(packed_partitions) or 'nothing'} "
                       "packed"),
        support.Target("storage: bytes per chain snapshot (heap + indexes)", snapshots["bytes_per_row"], 600, "B",
                       "le", note=f"{snapshots['rows']:,} snapshots"),
        support.Target("storage: Parquet bytes per option-minute", parquet_per_row, 40, "B", "le",
                       note="today's export (/api/v1/exports/quotes.parquet), not yet an archive format"
                       + ("" if parquet is not None else f"; HTTP {reply.status_code}: the export fails on rows "
                          "with a last_trade_time (typed string in its schema)")),
    ]  # fmt: skip
    support.result_write("storage", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
