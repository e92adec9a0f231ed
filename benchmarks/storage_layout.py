"""Benchmark (target 6, and the choice behind it): bytes per stored option-minute (heap + indexes) for each way
of writing the per-quote analytics, on the option-quote table exactly as migrated.

    .venv/bin/python benchmarks/storage_layout.py [--minutes 30] [--rows-per-minute 3300]

Each layout is a copy of ``marketdata_optionquote`` (``LIKE ... INCLUDING ALL``: the same columns, checks and
indexes; no foreign keys) written minute by minute as the worker writes it: the minute's rows inserted, then
its analytics stored before the next minute. Autovacuum is off on the copies so every run counts the same.

* ``update``: the rows inserted bare, then one UPDATE of the minute's rows (what analytics did until #11);
* ``update_ff<N>``: the same with ``fillfactor=N``, so the new row versions fit on the same page (HOT);
* ``same_insert``: the analytics written in the same insert (what replay and bulk paths can do);
* ``side_table``: the bare rows, and the analytics in a table of their own keyed (instrument, minute).

Sizes are PostgreSQL's (``pg_table_size`` + ``pg_indexes_size``), counters from ``pg_stat_user_tables``
(``n_tup_upd``, ``n_tup_hot_upd``, ``n_dead_tup``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support

ANALYTICS = (
    "oi_change = (q.oi / 10)::bigint, iv = 0.12 + (q.strike_offset * 0.001), iv_source = 'mid', "
    "delta = 0.5, gamma = 0.0003, theta = -4.2, vega = 11.5, rho = 0.9, buildup = 'long_buildup', "
    "quality_flags = '[]'::jsonb, analysed_at = now()"
)

INSERT = """
INSERT INTO {table} (minute, instrument_id, underlying_id, expiry, strike, option_type, expiry_bucket,
    strike_offset, source, last_price, average_price, close_price, volume, oi, oi_day_high, oi_day_low, bid,
    bid_qty, ask, ask_qty, last_trade_time, spot, forward, iv_source, iv_error, buildup, quality_flags{extra_cols})
SELECT %(minute)s::timestamptz, i, 1 + i %% 5, DATE '2026-01-27', 20000 + (i / 2) * 50,
    CASE WHEN i %% 2 = 0 THEN 'CE' ELSE 'PE' END, 'this_week', (i / 2) %% 100 - 50, 'collected',
    100 + (i %% 97) * 1.05, 99.5 + (i %% 91), 98.0 + (i %% 89), 650000 + i * 13, 1300000 + i * 7,
    1310000 + i, 1290000 + i, 99.95 + (i %% 97), 975 + i %% 17, 100.05 + (i %% 97), 650 + i %% 13,
    %(minute)s::timestamptz - interval '3 seconds', 23010.5, 23030.25, {iv_source}, '', {buildup},
    '[]'::jsonb{extra_vals}
FROM generate_series(1, %(rows)s) AS i
"""

FILLED_COLS = ", oi_change, iv, delta, gamma, theta, vega, rho, analysed_at"
FILLED_VALS = ", 130000 + i, 0.12 + ((i / 2) %% 100 - 50) * 0.001, 0.5, 0.0003, -4.2, 11.5, 0.9, now()"


def _stats(cursor: Any, table: str) -> dict[str, Any]:
    cursor.execute(f"ANALYZE {table}")
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute(
        "SELECT pg_table_size(%s), pg_indexes_size(%s), n_tup_ins, n_tup_upd, n_tup_hot_upd, n_dead_tup "
        "FROM pg_stat_user_tables WHERE relname = %s",
        [table, table, table],
    )
    heap, indexes, inserted, updated, hot, dead = cursor.fetchone()
    return {"heap_bytes": heap, "index_bytes": indexes, "inserted": inserted, "updated": updated,
            "hot_updated": hot, "dead_tuples": dead}  # fmt: skip


def _parquet_size(cursor: Any, table: str) -> int:
    """Bytes of the table as archive_partitions writes a day: zstd Parquet, one version per row, id order."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    columns = cursor.fetchall()
    plain = {"bigint", "integer", "smallint", "double precision", "date", "timestamp with time zone"}
    select = ", ".join(f'"{n}"' if t in plain else f'"{n}"::text' for n, t in columns)
    cursor.execute(f"SELECT {select} FROM {table} ORDER BY id")
    names = [n for n, _ in columns]
    data = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    with tempfile.NamedTemporaryFile(suffix=".parquet") as handle:
        pq.write_table(data, handle.name, compression="zstd")
        return Path(handle.name).stat().st_size


def _layout(cursor: Any, name: str, *, minutes: int, rows: int, fillfactor: int | None, mode: str,
            compact: bool = False) -> dict[str, Any]:  # fmt: skip
    from datetime import UTC, datetime, timedelta

    table = f"bench_layout_{name}"
    options = "autovacuum_enabled = false" + (f", fillfactor = {fillfactor}" if fillfactor else "")
    cursor.execute(f"DROP TABLE IF EXISTS {table}, {table}_analytics")
    cursor.execute(f"CREATE TABLE {table} (LIKE marketdata_optionquote INCLUDING ALL) WITH ({options})")
    if mode == "side_table":
        cursor.execute(
            f"CREATE TABLE {table}_analytics (instrument_id bigint NOT NULL, minute timestamptz NOT NULL, "
            "oi_change bigint, iv double precision, iv_source varchar(16) NOT NULL, iv_error varchar(64) NOT NULL, "
            "delta double precision, gamma double precision, theta double precision, vega double precision, "
            "rho double precision, buildup varchar(16) NOT NULL, quality_flags jsonb NOT NULL, "
            "analysed_at timestamptz, PRIMARY KEY (instrument_id, minute)) WITH (autovacuum_enabled = false)"
        )
    start = datetime(2026, 1, 19, 3, 45, tzinfo=UTC)
    for index in range(minutes):
        minute = start + timedelta(minutes=index)
        filled = mode == "same_insert"
        cursor.execute(
            INSERT.format(
                table=table,
                extra_cols=FILLED_COLS if filled else "",
                extra_vals=FILLED_VALS if filled else "",
                iv_source="'mid'" if filled else "''",
                buildup="'long_buildup'" if filled else "''",
            ),
            {"minute": minute, "rows": rows},
        )
        if mode == "update":
            cursor.execute(f"UPDATE {table} AS q SET {ANALYTICS} WHERE q.minute = %s", [minute])
        elif mode == "side_table":
            cursor.execute(
                f"INSERT INTO {table}_analytics SELECT instrument_id, minute, (oi / 10)::bigint, "
                "0.12 + strike_offset * 0.001, 'mid', '', 0.5, 0.0003, -4.2, 11.5, 0.9, 'long_buildup', "
                f"'[]'::jsonb, now() FROM {table} WHERE minute = %s",
                [minute],
            )
    stats = _stats(cursor, table)
    total = stats["heap_bytes"] + stats["index_bytes"]
    if mode == "side_table":
        side = _stats(cursor, f"{table}_analytics")
        stats["side_table"] = side
        total += side["heap_bytes"] + side["index_bytes"]
    stored = minutes * rows
    if compact:
        # What the nightly compaction does to a closed day: pack it at 100 % (no more updates will come).
        cursor.execute(f"ALTER TABLE {table} SET (fillfactor = 100)")
        cursor.execute(f"VACUUM FULL {table}")
        stats["compacted"] = _stats(cursor, table)
        total = stats["compacted"]["heap_bytes"] + stats["compacted"]["index_bytes"]
    stats.update(rows=stored, bytes_per_row=total / stored, fillfactor=fillfactor or 100, mode=mode)
    if mode == "same_insert":
        stats["parquet_bytes"] = _parquet_size(cursor, table)
        stats["parquet_bytes_per_row"] = stats["parquet_bytes"] / stored
    cursor.execute(f"DROP TABLE {table}")
    if mode == "side_table":
        cursor.execute(f"DROP TABLE {table}_analytics")
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--rows-per-minute", type=int, default=3300, help="the full chain of five underlyings")
    args = parser.parse_args()
    support.main_guard()
    layouts = [
        ("update", None, "update"),
        ("update_ff50", 50, "update"),
        ("update_ff60", 60, "update"),
        ("update_ff45", 45, "update"),
        ("update_ff45_compacted", 45, "update"),
        ("same_insert", None, "same_insert"),
        ("side_table", None, "side_table"),
    ]
    results: dict[str, Any] = {}
    with support.bench_database("storage_layout") as url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
            for name, fillfactor, mode in layouts:
                results[name] = _layout(cursor, name, minutes=args.minutes, rows=args.rows_per_minute,
                                        fillfactor=fillfactor, mode=mode,
                                        compact=name.endswith("_compacted"))  # fmt: skip
                print(name, {k: v for k, v in results[name].items() if k != "side_table"}, flush=True)
    chosen, live = results["update_ff45_compacted"], results["update_ff45"]
    same = results["same_insert"]
    targets = [
        support.Target("storage layout: bytes per option-minute, closed day (HOT updates at fillfactor 45, compacted)",
                       chosen["bytes_per_row"], 250, "B", "le",
                       note=f"{live['hot_updated']:,} of {live['updated']:,} updates HOT; live day "
                       f"{live['bytes_per_row']:.0f} B; plain UPDATE "
                       f"{results['update']['bytes_per_row']:.0f} B, same insert "
                       f"{results['same_insert']['bytes_per_row']:.0f} B, side table "
                       f"{results['side_table']['bytes_per_row']:.0f} B"),
        support.Target("storage layout: bytes per option-minute, analytics in the same insert",
                       same["bytes_per_row"], 250, "B", "le", note="what the bulk paths write; one version per row"),
        support.Target("storage layout: zstd Parquet bytes per option-minute (an archived day)",
                       same["parquet_bytes_per_row"], 40, "B", "le",
                       note="synthetic values: repetitive, so lower than real quotes would give"),
    ]  # fmt: skip
    support.result_write("storage_layout", targets=targets, details={"minutes": args.minutes,
                         "rows_per_minute": args.rows_per_minute, "layouts": results})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
