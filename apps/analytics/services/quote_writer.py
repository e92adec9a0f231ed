"""Write the per-quote analytics of a minute back to the archive in a few statements.

Django's bulk_update builds one CASE WHEN per field and row, which costs seconds for a 2,000-row chain. On
PostgreSQL the rows of a minute go by binary COPY into a temporary staging table and one
``UPDATE ... FROM`` it, confined to the minute (profiled: the earlier ``UPDATE ... FROM unnest(arrays)`` spent
more time adapting 13 arrays into SQL literals in the client and parsing them in the server than updating the
rows); without a minute one ``UPDATE ... FROM unnest(arrays)`` per 5,000 rows. Other databases (the embedded
SQLite mode) run one plain ``UPDATE ... WHERE id = ?`` per row through ``executemany`` (bulk_update took 80 % of
the first run's history back-fill there).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction

from apps.marketdata import legs
from apps.marketdata.models import OptionQuote
from apps.marketdata.services.quote_store import column_types

FIELD_NAMES: tuple[str, ...] = (*legs.ANALYTICS, "analysed_at")
"""What analytics writes back to each row: the leg's analytics fields and when they were computed."""
CHUNK = 5000


def _concrete_field(name: str) -> models.Field:
    field = OptionQuote._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field


def quotes_update(rows: Sequence[dict[str, Any]], *, minute: datetime | None = None) -> None:
    """``rows``: dicts with ``id`` and every name of FIELD_NAMES, all of ``minute`` when given (on the
    partitioned table it confines the update to that day's partition). Call inside the minute's transaction."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        _quotes_update_by_row(rows)
        return
    if minute is not None:
        _quotes_update_staged(rows, minute=minute)
        return
    quote = connection.ops.quote_name
    table = quote(OptionQuote._meta.db_table)
    fields = [_concrete_field(name) for name in FIELD_NAMES]
    columns = [quote(name) for name in FIELD_NAMES]  # plain fields: the column is the field name
    pk = quote("id")
    arrays = ", ".join(["%s::bigint[]", *(f"%s::{field.db_type(connection)}[]" for field in fields)])
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    sql = (
        f"UPDATE {table} AS q SET {assignments} "  # noqa: S608 - identifiers come from the model, values are params
        f"FROM unnest({arrays}) AS v({pk}, {', '.join(columns)}) WHERE q.{pk} = v.{pk}"
        + (" AND q.minute = %s" if minute is not None else "")
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params: list[Any] = [[row["id"] for row in chunk]]
            for field in fields:
                if field.get_internal_type() == "JSONField":
                    params.append([json.dumps(row[field.name]) for row in chunk])
                else:
                    params.append([row[field.name] for row in chunk])
            if minute is not None:
                params.append(minute)
            cursor.execute(sql, params)


def _quotes_update_staged(rows: Sequence[dict[str, Any]], *, minute: datetime) -> None:
    """Binary COPY of the rows into a staging table, one UPDATE joining it to the minute's rows (a bitmap scan
    of the ``minute`` index and a hash join: the stage is never scanned against more than one minute)."""
    quote = connection.ops.quote_name
    table = OptionQuote._meta.db_table
    stage = quote(f"_stage_{table}_analytics")
    names = ["id", *FIELD_NAMES]  # plain fields: the column is the field name
    columns = ", ".join(quote(name) for name in names)
    assignments = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in FIELD_NAMES)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608 - model identifiers
            f"SELECT {columns} FROM {quote(table)} WITH NO DATA"
        )
        types = column_types(cursor, table, names)  # before the COPY: the connection serves nothing else during it
        with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            pick = operator.itemgetter(*names)
            for row in rows:
                copy.write_row(pick(row))
        cursor.execute(
            f"UPDATE {quote(table)} AS q SET {assignments} FROM {stage} AS v "  # noqa: S608 - model identifiers
            f"WHERE q.{quote('id')} = v.{quote('id')} AND q.minute = %s",
            [minute],
        )
        cursor.execute(f"TRUNCATE {stage}")


def _quotes_update_by_row(rows: Sequence[dict[str, Any]]) -> None:
    quote = connection.ops.quote_name
    fields = [_concrete_field(name) for name in FIELD_NAMES]
    assignments = ", ".join(f"{quote(name)} = %s" for name in FIELD_NAMES)
    sql = f"UPDATE {quote(OptionQuote._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    params = [[*(field.get_db_prep_save(row[field.name], connection) for field in fields), row["id"]] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
