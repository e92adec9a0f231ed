"""Benchmark (target 5): rows per second into PostgreSQL through our bulk paths, against a raw psycopg binary COPY
of the same rows in the same run.

    .venv/bin/python benchmarks/ingest.py [--rows 100000] [--repeats 3] [--bhavcopy-repeats 9] [--profile]

``--profile`` runs each path once more under pyinstrument and writes ``results/ingest-profile.txt``.

* quote store (the path of replay back-fills and the first-run history): ``quotes_store`` of full-chain option
  rows handed as plain rows (the dicts keyed by field are built inside the timing: that is what a back-fill does);
* bhavcopy import: ``bhavcopy_import`` of NSE's real F&O bhavcopy of 27-Mar-2026 (tests/fixtures/exchange),
  parsing included.

The reference writes the same rows with one ``COPY ... FROM STDIN (FORMAT BINARY)`` straight into the very table
ours writes (the partitioned option-quote table: the same partitions, fillfactor and indexes), commit included;
a COPY into a plain ``LIKE`` copy of it (fillfactor 100, unpartitioned: the reference of earlier runs) is
measured beside it for comparison. Every table is emptied by ``TRUNCATE`` before each run, and the three are
alternated.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support

BHAVCOPY = support.ROOT / "tests" / "fixtures" / "exchange" / "fo_bhavcopy" / "NIFTY_20260327.csv"
REFERENCE_TABLE = "bench_copy_reference"
PROFILE = support.RESULTS / "ingest-profile.txt"


def profiled(label: str, run: Any) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    run()
    profiler.stop()
    return f"=== {label}\n" + profiler.output_text(unicode=True, color=False, show_all=False)


def truncate(*tables: str) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")


def reference_copy(table: str, rows: list[tuple[Any, ...]], columns: list[str], types: list[int]) -> float:
    """One raw binary COPY of ``rows`` into ``table`` (emptied first, outside the timing), commit included."""
    from django.db import connection, transaction

    names = ", ".join(f'"{c}"' for c in columns)
    truncate(table)
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bhavcopy-repeats", type=int, default=9, help="a 2,123-row import is short: more runs")
    parser.add_argument("--profile", action="store_true", help="write results/ingest-profile.txt")
    args = parser.parse_args()
    support.main_guard()
    with support.bench_database("ingest") as url:
        support.django_setup(url)
        import archive
        from django.db import connection, transaction

        from apps.marketdata.models import OptionQuote, UnderlyingQuote
        from apps.marketdata.services.bhavcopy import bhavcopy_import
        from apps.marketdata.services.quote_store import column_types, quotes_store

        archive.archive_build(sessions=1, snapshots=False, participants=False, offsets=tuple(range(-58, 59)))
        fields = [f for f in OptionQuote._meta.concrete_fields if not f.primary_key]
        columns = [f.column for f in fields]
        attnames = [f.attname for f in fields]
        values = list(OptionQuote.objects.order_by("minute", "instrument_id").values_list(*[f.attname for f in fields])
                      [: args.rows])  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE TABLE {REFERENCE_TABLE} (LIKE "{OptionQuote._meta.db_table}" INCLUDING DEFAULTS '
                           "INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)")  # fmt: skip
            types = column_types(cursor, REFERENCE_TABLE, columns)
        options = OptionQuote._meta.db_table
        underlyings = UnderlyingQuote._meta.db_table

        def ours_store() -> float:
            truncate(options)
            started = time.perf_counter()
            with transaction.atomic():
                rows = [dict(zip(attnames, row, strict=True)) for row in values]
                stored = quotes_store(options=rows, underlyings=[])
            assert stored.options_stored == len(values), stored
            return time.perf_counter() - started

        # "reference": the same rows by one raw COPY into the very table ours writes (partitioned, the live
        # fillfactor, the same indexes); "like_table": into a plain LIKE copy of it (fillfactor 100, unpartitioned),
        # the reference of the earlier runs, kept for comparison. Every table is emptied by TRUNCATE before a run.
        store: dict[str, list[float]] = {"ours": [], "reference": [], "like_table": []}
        for _ in range(args.repeats):
            store["reference"].append(reference_copy(options, values, columns, types))
            store["ours"].append(ours_store())
            store["like_table"].append(reference_copy(REFERENCE_TABLE, values, columns, types))
            print(f"  quote store: ours {store['ours'][-1]:.2f} s, COPY {store['reference'][-1]:.2f} s "
                  f"(LIKE table {store['like_table'][-1]:.2f} s)", flush=True)  # fmt: skip
        truncate(options, underlyings)

        bhav: dict[str, list[float]] = {"ours": [], "reference": [], "like_table": []}
        stored_rows = 0
        for _ in range(args.bhavcopy_repeats):
            truncate(options, underlyings)
            started = time.perf_counter()
            result = bhavcopy_import(path=BHAVCOPY)
            bhav["ours"].append(time.perf_counter() - started)
            stored_rows = result.total
            rows = list(OptionQuote.objects.filter(source="bhavcopy").values_list(*attnames))
            assert len(rows) == stored_rows, (len(rows), stored_rows)
            bhav["reference"].append(reference_copy(options, rows, columns, types))
            bhav["like_table"].append(reference_copy(REFERENCE_TABLE, rows, columns, types))
            print(f"  bhavcopy: ours {bhav['ours'][-1]:.3f} s, COPY {bhav['reference'][-1]:.3f} s "
                  f"(LIKE table {bhav['like_table'][-1]:.3f} s, {stored_rows} rows)", flush=True)  # fmt: skip
        if args.profile:
            truncate(options, underlyings)
            PROFILE.write_text(profiled("quote store", ours_store) + profiled("bhavcopy import",
                               lambda: bhavcopy_import(path=BHAVCOPY)))  # fmt: skip
            print(f"  profile: {PROFILE}", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {REFERENCE_TABLE}")

    def summary(times: dict[str, list[float]], rows: int) -> dict[str, Any]:
        ours, reference = statistics.median(times["ours"]), statistics.median(times["reference"])
        like = statistics.median(times["like_table"])
        return {"rows": rows, "ours_seconds": ours, "reference_seconds": reference, "ours_rows_per_second": rows / ours,
                "reference_rows_per_second": rows / reference, "ratio": reference / ours,
                "like_table_seconds": like, "ratio_vs_like_table": like / ours, "runs": times}  # fmt: skip

    details = {"quote_store": summary(store, len(values)), "bhavcopy": summary(bhav, stored_rows)}
    targets = [
        support.Target("ingest: quote store (back-fill path) vs raw binary COPY", details["quote_store"]["ratio"], 0.4,
                       "×", note=f"{details['quote_store']['ours_rows_per_second']:,.0f} vs "
                       f"{details['quote_store']['reference_rows_per_second']:,.0f} rows/s; "
                       f"{details['quote_store']['ratio_vs_like_table']:.2f}× of a COPY into a plain LIKE table"),
        support.Target("ingest: bhavcopy import vs raw binary COPY", details["bhavcopy"]["ratio"], 0.4, "×",
                       note=f"{details['bhavcopy']['ours_rows_per_second']:,.0f} vs "
                       f"{details['bhavcopy']['reference_rows_per_second']:,.0f} rows/s ({stored_rows} rows); "
                       f"{details['bhavcopy']['ratio_vs_like_table']:.2f}× of a COPY into a plain LIKE table"),
    ]  # fmt: skip
    support.result_write("ingest", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
