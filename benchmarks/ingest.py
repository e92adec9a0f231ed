"""Benchmark (target 5): rows per second into PostgreSQL through our bulk paths, against a raw psycopg binary COPY
of the same rows in the same run.

    .venv/bin/python benchmarks/ingest.py [--rows 100000] [--repeats 3]

* quote store (the path of replay back-fills and the first-run history): ``quotes_store`` of full-chain option
  rows given as plain values (the model instances are built inside the timing: that is what a back-fill does);
* bhavcopy import: ``bhavcopy_import`` of NSE's real F&O bhavcopy of 27-Mar-2026 (tests/fixtures/exchange),
  parsing included.

The reference writes the same rows with one ``COPY ... FROM STDIN (FORMAT BINARY)`` into a table made
``LIKE`` the option-quote table with its defaults, identity, constraints and indexes; both tables are emptied between
runs, and the two are alternated.
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


def reference_copy(rows: list[tuple[Any, ...]], columns: list[str], types: list[int]) -> float:
    from django.db import connection, transaction

    names = ", ".join(f'"{c}"' for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {REFERENCE_TABLE}")
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {REFERENCE_TABLE} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    support.main_guard()
    with support.bench_database("ingest") as url:
        support.django_setup(url)
        import archive
        from django.db import connection, transaction
        from psycopg.types.json import Jsonb

        from apps.marketdata.models import OptionQuote, UnderlyingQuote
        from apps.marketdata.services.bhavcopy import bhavcopy_import
        from apps.marketdata.services.quote_store import _column_types, quotes_store

        archive.archive_build(sessions=1, snapshots=False, participants=False, offsets=tuple(range(-58, 59)))
        fields = [f for f in OptionQuote._meta.concrete_fields if not f.primary_key]
        columns = [f.column for f in fields]
        values = list(OptionQuote.objects.order_by("minute", "instrument_id").values_list(*[f.attname for f in fields])
                      [: args.rows])  # fmt: skip
        json_index = next(i for i, f in enumerate(fields) if f.attname == "quality_flags")
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE TABLE {REFERENCE_TABLE} (LIKE "{OptionQuote._meta.db_table}" INCLUDING DEFAULTS '
                           "INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)")  # fmt: skip
            types = _column_types(cursor, REFERENCE_TABLE, columns)
        copy_rows = [tuple(Jsonb(v) if i == json_index else v for i, v in enumerate(row)) for row in values]
        underlying_quotes = list(UnderlyingQuote.objects.all())

        def ours_store() -> float:
            with transaction.atomic():
                OptionQuote.objects.all().delete()
            started = time.perf_counter()
            with transaction.atomic():
                rows = [OptionQuote(**dict(zip([f.attname for f in fields], row, strict=True))) for row in values]
                stored = quotes_store(options=rows, underlyings=[])
            assert stored.options_stored == len(values), stored
            return time.perf_counter() - started

        store: dict[str, list[float]] = {"ours": [], "reference": []}
        for _ in range(args.repeats):
            store["reference"].append(reference_copy(copy_rows, columns, types))
            store["ours"].append(ours_store())
            print(f"  quote store: ours {store['ours'][-1]:.2f} s, COPY {store['reference'][-1]:.2f} s", flush=True)
        with transaction.atomic():
            OptionQuote.objects.all().delete()
            UnderlyingQuote.objects.all().delete()
        del underlying_quotes

        bhav: dict[str, list[float]] = {"ours": [], "reference": []}
        stored_rows = 0
        for _ in range(args.repeats):
            with transaction.atomic():
                OptionQuote.objects.filter(source="bhavcopy").delete()
                UnderlyingQuote.objects.filter(source="bhavcopy").delete()
            started = time.perf_counter()
            result = bhavcopy_import(path=BHAVCOPY)
            bhav["ours"].append(time.perf_counter() - started)
            stored_rows = result.total
            rows = list(OptionQuote.objects.filter(source="bhavcopy").values_list(*[f.attname for f in fields]))
            rows = [tuple(Jsonb(v) if i == json_index else v for i, v in enumerate(row)) for row in rows]
            bhav["reference"].append(reference_copy(rows, columns, types))
            print(
                f"  bhavcopy: ours {bhav['ours'][-1]:.3f} s, COPY {bhav['reference'][-1]:.3f} s ({stored_rows} rows)",
                flush=True,
            )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {REFERENCE_TABLE}")

    def summary(times: dict[str, list[float]], rows: int) -> dict[str, Any]:
        ours, reference = statistics.median(times["ours"]), statistics.median(times["reference"])
        return {"rows": rows, "ours_seconds": ours, "reference_seconds": reference, "ours_rows_per_second": rows / ours,
                "reference_rows_per_second": rows / reference, "ratio": reference / ours, "runs": times}  # fmt: skip

    details = {"quote_store": summary(store, len(values)), "bhavcopy": summary(bhav, stored_rows)}
    targets = [
        support.Target("ingest: quote store (back-fill path) vs raw binary COPY", details["quote_store"]["ratio"], 0.4,
                       "×", note=f"{details['quote_store']['ours_rows_per_second']:,.0f} vs "
                       f"{details['quote_store']['reference_rows_per_second']:,.0f} rows/s"),
        support.Target("ingest: bhavcopy import vs raw binary COPY", details["bhavcopy"]["ratio"], 0.4, "×",
                       note=f"{details['bhavcopy']['ours_rows_per_second']:,.0f} vs "
                       f"{details['bhavcopy']['reference_rows_per_second']:,.0f} rows/s ({stored_rows} rows)"),
    ]  # fmt: skip
    support.result_write("ingest", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
