"""Archive a day's partitions to zstd Parquet and drop them; restore them exactly (docs/archive.md).

One folder per IST day under ``OPTRADING_ARCHIVE_DIR``: ``<table>.parquet`` per minute table and a
``manifest.json`` with each file's row count, first and last minute, sha256 and column types. Every column
keeps its PostgreSQL value: integers, floats (float64, bit for bit), texts, dates, timestamps (microseconds,
UTC), NULLs; JSON columns as their JSON text; numeric columns, if a table ever gets one, as their exact text.
A day is verified by reading the files back and comparing them, batch by batch, with the partition before it
is detached and dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.analytics.services.daily_closes import daily_closes_forget
from apps.archive.models import ArchivedDay
from apps.archive.services.partitions import DAY_TABLES
from apps.core import partitions
from apps.core.errors import ApplicationError

BATCH_ROWS = 50_000
COMPRESSION = "zstd"
_ARROW = {
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "double precision": pa.float64(),
    "real": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
}
"""PostgreSQL type → Arrow type; any other type (text, varchar, jsonb, numeric) is stored as its text."""


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str

    @property
    def as_text(self) -> bool:
        return self.pg_type not in _ARROW

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW.get(self.pg_type, pa.string())


@dataclass(frozen=True)
class DayResult:
    day: date
    directory: Path
    rows: dict[str, int]


def archive_dir() -> Path:
    return Path(settings.OPTRADING_ARCHIVE_DIR)


def _columns(cursor: Any, table: str) -> list[Column]:
    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return [Column(name, pg_type) for name, pg_type in cursor.fetchall()]


def _schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([(column.name, column.arrow) for column in columns])


def _select(columns: list[Column], relation: str) -> str:
    names = ", ".join(f'"{c.name}"::text' if c.as_text else f'"{c.name}"' for c in columns)
    return f'SELECT {names} FROM "{relation}" ORDER BY id'  # noqa: S608 - identifiers from the catalog


def _batches(columns: list[Column], relation: str) -> Iterator[pa.RecordBatch]:
    """The partition's rows in id order, BATCH_ROWS at a time, from a server-side cursor."""
    schema = _schema(columns)
    with connection.chunked_cursor() as cursor:
        cursor.execute(_select(columns, relation))
        while rows := cursor.fetchmany(BATCH_ROWS):
            arrays = list(zip(*rows, strict=True))
            yield pa.record_batch([pa.array(values, type=f.type) for values, f in zip(arrays, schema, strict=True)],
                                  schema=schema)  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _same(expected: Iterator[pa.RecordBatch], path: Path, schema: pa.Schema) -> bool:
    """Whether the file holds exactly ``expected``'s rows, in order (re-chunked: batches need not align)."""
    read = pq.ParquetFile(path)
    if read.schema_arrow != schema:
        return False
    pending = pa.Table.from_batches([], schema=schema)
    stream = read.iter_batches(batch_size=BATCH_ROWS)
    for batch in expected:
        while pending.num_rows < batch.num_rows:
            more = next(stream, None)
            if more is None:
                return False
            pending = pa.concat_tables([pending, pa.Table.from_batches([more])])
        if not pending.slice(0, batch.num_rows).equals(pa.Table.from_batches([batch])):
            return False
        pending = pending.slice(batch.num_rows)
    return pending.num_rows == 0 and next(stream, None) is None


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise ApplicationError("Archiving days needs PostgreSQL (its partitions); the embedded SQLite has none.")


def _existing_partitions(day: date) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s)",
            [[partitions.partition_name(spec.table, day) for spec in DAY_TABLES]],
        )
        return [row[0] for row in cursor.fetchall()]


def _default_rows_settle(day: date) -> None:
    """Move ``day``'s rows waiting in a default partition (written before beat made the day's partition) into a
    partition of their own, in one transaction, so that archiving the day takes them too."""
    with transaction.atomic(), connection.cursor() as cursor:
        for spec in DAY_TABLES:
            if partitions.is_partitioned(cursor, spec.table) and partitions.default_holds(cursor, spec.table, day):
                partitions.partition_create(cursor, spec.table, day, fillfactor=spec.fillfactor)


def day_archive(*, day: date, today: date) -> DayResult:
    """Write ``day``'s partitions to Parquet, verify them, then detach and drop them."""
    _require_postgresql()
    if day >= today:
        raise ApplicationError(f"{day} is not before today ({today}): only closed days are archived.")
    held = ArchivedDay.objects.filter(day=day, restored_at__isnull=True).first()
    if held is not None:
        raise ApplicationError(
            f"{day} was already archived on {held.archived_at:%Y-%m-%d %H:%M} UTC (to {held.directory}); "
            f"restore it first with: python manage.py restore_partitions --date {day}"
        )
    _default_rows_settle(day)
    if not _existing_partitions(day):
        raise ApplicationError(f"{day} has no partition in the database: nothing to archive.")
    directory = archive_dir() / day.isoformat()
    directory.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for spec in DAY_TABLES:
            relation = partitions.partition_name(spec.table, day)
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [relation])
            if not cursor.fetchone()[0]:
                continue
            columns = _columns(cursor, relation)
            schema = _schema(columns)
            path = directory / f"{spec.table}.parquet"
            rows = 0
            with pq.ParquetWriter(path, schema, compression=COMPRESSION) as writer:
                writer.write_table(pa.Table.from_batches([], schema=schema))  # a valid file even when empty
                for batch in _batches(columns, relation):
                    writer.write_batch(batch)
                    rows += batch.num_rows
            if not _same(_batches(columns, relation), path, schema):
                raise ApplicationError(f"{path} does not read back as {relation}: nothing was dropped.")
            cursor.execute(f'SELECT min(minute), max(minute) FROM "{relation}"')  # noqa: S608
            first, last = cursor.fetchone()
            tables[spec.table] = {
                "file": path.name,
                "rows": rows,
                "min_minute": first.isoformat() if first else None,
                "max_minute": last.isoformat() if last else None,
                "sha256": _sha256(path),
                "columns": [[column.name, column.pg_type] for column in columns],
            }
    manifest = {"day": day.isoformat(), "archived_at": timezone.now().isoformat(), "compression": COMPRESSION,
                "tables": tables}  # fmt: skip
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            partitions.partition_detach_drop(cursor, table, day)
        daily_closes_forget(day=day)  # no trigger sees a partition dropped
        ArchivedDay.objects.update_or_create(
            day=day,
            defaults={
                "archived_at": timezone.now(),
                "directory": str(directory),
                "manifest": manifest,
                "restored_at": None,
            },
        )
    return DayResult(day=day, directory=directory, rows={table: info["rows"] for table, info in tables.items()})


def day_restore(*, day: date) -> DayResult:
    """Bring an archived day back: its partitions recreated and every row copied in, exactly as it was."""
    _require_postgresql()
    archived = ArchivedDay.objects.filter(day=day).first()
    if archived is None:
        raise ApplicationError(f"{day} was never archived: nothing to restore.")
    if archived.restored_at is not None:
        raise ApplicationError(f"{day} was already restored on {archived.restored_at:%Y-%m-%d %H:%M} UTC.")
    directory = Path(archived.directory)
    manifest = archived.manifest
    fillfactors = {spec.table: spec.fillfactor for spec in DAY_TABLES}
    for info in manifest["tables"].values():
        path = directory / info["file"]
        if not path.is_file():
            raise ApplicationError(f"{path} is missing: {day} cannot be restored.")
        if _sha256(path) != info["sha256"]:
            raise ApplicationError(f"{path} does not match its manifest's sha256: {day} was not restored.")
    rows: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, info in manifest["tables"].items():
            relation = partitions.partition_name(table, day)
            partitions.partition_create(cursor, table, day, fillfactor=fillfactors.get(table))
            cursor.execute(f'SELECT count(*) FROM "{relation}"')  # noqa: S608
            if cursor.fetchone()[0]:
                raise ApplicationError(f"{relation} already holds rows of {day}: restore refused, nothing changed.")
            columns = [Column(name, pg_type) for name, pg_type in info["columns"]]
            names = ", ".join(f'"{column.name}"' for column in columns)
            count = 0
            with cursor.cursor.copy(f'COPY "{relation}" ({names}) FROM STDIN') as copy:
                for batch in pq.ParquetFile(directory / info["file"]).iter_batches(batch_size=BATCH_ROWS):
                    for row in zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True):
                        copy.write_row(row)
                        count += 1
            if count != info["rows"]:
                raise ApplicationError(f"{info['file']} has {count} rows, its manifest {info['rows']}: not restored.")
            rows[table] = count
        archived.restored_at = timezone.now()
        archived.save(update_fields=["restored_at"])
    return DayResult(day=day, directory=directory, rows=rows)


def days_partitioned_before(before: date) -> list[date]:
    """Days before ``before`` that have a partition of any minute table, or rows waiting in a default one,
    oldest first."""
    _require_postgresql()
    days: set[date] = set()
    with connection.cursor() as cursor:
        for spec in DAY_TABLES:
            if not partitions.is_partitioned(cursor, spec.table):
                continue
            days |= {p.day for p in partitions.partitions_list(cursor, spec.table) if p.day < before}
            days |= set(partitions.default_days(cursor, spec.table, before=before))
    return sorted(days)
