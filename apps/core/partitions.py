"""Declarative RANGE partitions of a minute table on PostgreSQL, one per IST day, in plain SQL (docs/archive.md).

A partitioned table ``T`` (``PARTITION BY RANGE (minute)``) has one partition ``T_pYYYYMMDD`` per IST day
``[00:00 IST, next 00:00 IST)`` and a ``T_default`` partition for any minute outside them, so no write ever
fails for want of a partition. Its primary key is ``(id, minute)``: PostgreSQL needs the partition key in every
unique constraint; ``id`` still comes from one sequence, so it stays unique and Django keeps ``id`` as the
model's primary key (``WHERE id = ...`` uses the key's index in each partition).

Everything here takes a DB-API cursor and table names, and imports no app: the migrations call it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

DAY_TZ = ZoneInfo("Asia/Kolkata")
"""A partition is one IST day (the trading day) of minutes stored in UTC."""

_BOUND = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    day: date
    start: datetime
    end: datetime


def day_bounds(day: date, tz: tzinfo = DAY_TZ) -> tuple[datetime, datetime]:
    """[start, end) of the IST day ``day`` as aware datetimes."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partitions_list(cursor: Any, table: str) -> list[Partition]:
    """The day partitions of ``table`` (not the default), oldest first."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
        [table],
    )
    out = []
    prefix = f"{table}_p"
    for name, bound in cursor.fetchall():
        match = _BOUND.search(bound or "")
        if match is None or not name.startswith(prefix):
            continue
        start, end = (datetime.fromisoformat(value) for value in match.groups())
        out.append(Partition(name=name, day=datetime.strptime(name[len(prefix) :], "%Y%m%d").date(), start=start,
                             end=end))  # fmt: skip
    return sorted(out, key=lambda partition: partition.start)


def _storage(fillfactor: int | None) -> str:
    return f" WITH (fillfactor = {int(fillfactor)})" if fillfactor else ""


def partition_create(cursor: Any, table: str, day: date, *, fillfactor: int | None = None) -> bool:
    """Create ``table``'s partition of ``day`` unless it exists; rows of that day waiting in the default
    partition move into it. Returns whether it was created."""
    name = partition_name(table, day)
    if _exists(cursor, name):
        return False
    start, end = day_bounds(day)
    default = f"{table}_default"
    if not default_holds(cursor, table, day):
        cursor.execute(
            f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} FOR VALUES FROM (%s) TO (%s){_storage(fillfactor)}",
            [start.isoformat(), end.isoformat()],
        )
        return True
    cursor.execute(
        f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){_storage(fillfactor)}"
    )
    cursor.execute(
        f"WITH moved AS (DELETE FROM {_q(default)} WHERE minute >= %s AND minute < %s RETURNING *) "  # noqa: S608
        f"INSERT INTO {_q(name)} SELECT * FROM moved",
        [start, end],
    )
    cursor.execute(
        f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} FOR VALUES FROM (%s) TO (%s)",
        [start.isoformat(), end.isoformat()],
    )
    return True


def _exists(cursor: Any, relation: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [relation])
    return bool(cursor.fetchone()[0])


def default_holds(cursor: Any, table: str, day: date) -> bool:
    """Whether rows of ``day`` wait in ``table``'s default partition (written before the day's partition was)."""
    default = f"{table}_default"
    if not _exists(cursor, default):
        return False
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE minute >= %s AND minute < %s)",  # noqa: S608
        list(day_bounds(day)),
    )
    return bool(cursor.fetchone()[0])


def default_days(cursor: Any, table: str, *, before: date) -> list[date]:
    """The IST days before ``before`` with rows waiting in ``table``'s default partition, oldest first."""
    default = f"{table}_default"
    return _days_in(cursor, default, before=before) if _exists(cursor, default) else []


def partition_detach_drop(cursor: Any, table: str, day: date) -> None:
    name = partition_name(table, day)
    # Deferred foreign-key checks of rows written earlier in this transaction must run before the drop.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(name)}")
    cursor.execute(f"DROP TABLE {_q(name)}")


def _days_in(cursor: Any, table: str, *, before: date | None = None) -> list[date]:
    """The IST days ``table`` holds rows of (before ``before`` when given), oldest first."""
    where, params = ("WHERE minute < %s", [day_bounds(before)[0]]) if before is not None else ("", [])
    cursor.execute(
        f"SELECT DISTINCT (minute AT TIME ZONE 'Asia/Kolkata')::date FROM {_q(table)} {where} ORDER BY 1",  # noqa: S608
        params,
    )
    return [row[0] for row in cursor.fetchall()]


def _definitions(cursor: Any, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, definition) of the table's check, foreign-key and unique constraints, and the CREATE INDEX of
    every other index but the primary key's."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype IN ('c', 'f', 'u') ORDER BY contype, conname",
        [table],
    )
    constraints = list(cursor.fetchall())
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY 1",
        [table],
    )
    return constraints, [row[0] for row in cursor.fetchall()]


def _rebuild(cursor: Any, table: str, *, partitioned: bool, days: Iterable[date], fillfactor: int | None) -> None:
    """Move ``table`` into a new table of the same name, columns, constraints and indexes, partitioned by day
    (or not); in the caller's transaction, so a failure leaves the old table as it was."""
    constraints, indexes = _definitions(cursor, table)
    old = f"{table}__old"
    sequence = f"{table}_id_seq"
    cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    if partitioned:
        cursor.execute(f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS) PARTITION BY RANGE (minute)")
        cursor.execute(f"CREATE TABLE {_q(table + '_default')} PARTITION OF {_q(table)} DEFAULT")
        for day in days:
            partition_create(cursor, table, day, fillfactor=fillfactor)
    else:
        cursor.execute(f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS){_storage(fillfactor)}")
    cursor.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")  # noqa: S608 - identifiers only
    cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id DROP DEFAULT")  # a copied one names the old sequence
    cursor.execute(f"DROP TABLE {_q(old)}")  # its identity sequence, indexes and constraints go with it
    cursor.execute(f"CREATE SEQUENCE {_q(sequence)} OWNED BY {_q(table)}.id")
    cursor.execute(f"SELECT setval(%s, COALESCE((SELECT max(id) FROM {_q(table)}), 0) + 1, false)", [sequence])  # noqa: S608
    cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id SET DEFAULT nextval(%s::regclass)", [sequence])
    key = "id, minute" if partitioned else "id"
    cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(table + '_pkey')} PRIMARY KEY ({key})")
    for name, definition in constraints:
        cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for definition in indexes:
        cursor.execute(definition)


def table_partition(cursor: Any, table: str, *, fillfactor: int | None = None, ahead: Iterable[date] = ()) -> None:
    """Turn the plain ``table`` into one partitioned by IST day, with a partition for every day it holds rows
    of (and for the days ``ahead``), moving every row across. Does nothing when it already is."""
    if is_partitioned(cursor, table):
        return
    days = sorted(set(_days_in(cursor, table)) | set(ahead))
    _rebuild(cursor, table, partitioned=True, days=days, fillfactor=fillfactor)


def table_unpartition(cursor: Any, table: str, *, fillfactor: int | None = None) -> None:
    """The reverse of ``table_partition``: one plain table with every row."""
    if not is_partitioned(cursor, table):
        return
    _rebuild(cursor, table, partitioned=False, days=(), fillfactor=fillfactor)
