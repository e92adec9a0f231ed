"""The one way quotes enter the archive: live collection, live ticks, the bhavcopy importer and replay all
call ``quotes_store``.

**The first-writer rule.** A row is unique per (instrument, minute) for options and per (underlying, minute)
for underlyings. The first writer of a key keeps it: a later write of the same key, from any source (a
redelivered task, the tick stream and quote collection racing for one minute, a bhavcopy imported twice or
after live collection), stores nothing and changes nothing. So storing a minute twice is harmless, and the
archive holds what was seen first.

**Rows.** A caller hands either model instances or plain rows: mappings keyed by the fields' ``attname``
(``instrument_id``, ``underlying_id``, ``minute``, ...), a missing key taking the field's default as a model
instance would. Plain rows are the bulk path (collection, bhavcopy, back-fills): no model instance is built,
and their values go to the COPY as they are, so they must already be of the column's type (``int`` for integer
columns, ``float`` or ``int`` for floats, ``date``, *aware* ``datetime``, ``str``, anything JSON can dump for
JSON); a value of another type raises ``TypeError`` and the call stores nothing. Model instances are prepared
field by field first (a naive datetime made aware by Django, a number given as text converted).

On PostgreSQL one probe of the unique index asks whether any of the call's keys is stored: when none is (a new
minute: a back-fill, a bhavcopy, a live minute's first write), the rows go by one binary COPY straight into the
table, in a savepoint; when one is, or the COPY meets a key stored in between (or given twice), they go through
a binary COPY into a temporary staging table and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, whose row
count is exactly what this call stored; elsewhere
(the embedded SQLite) ``bulk_create(ignore_conflicts=True)``. Either way nothing commits unless the caller's
transaction does, and a bad row (a check violated, a value of the wrong type) stores nothing of the call.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeAlias

import psycopg
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from psycopg.types.json import Jsonb

from apps.core.staging import stage_create
from apps.marketdata.models import OptionQuote, UnderlyingQuote

Row: TypeAlias = Mapping[str, Any]
"""A plain row: field attname -> value of the column's type (see the module's docstring)."""
OptionRows: TypeAlias = Sequence[OptionQuote] | Sequence[Row]
UnderlyingRows: TypeAlias = Sequence[UnderlyingQuote] | Sequence[Row]


@dataclass(frozen=True)
class StoreResult:
    options_stored: int
    options_kept: int
    """Option rows not written because an earlier writer holds that (instrument, minute)."""
    underlyings_stored: int
    underlyings_kept: int


def quotes_store(*, options: OptionRows, underlyings: UnderlyingRows) -> StoreResult:
    """Store new rows (model instances or plain rows, one kind per sequence) by the first-writer rule; call
    inside the caller's transaction."""
    options_stored = _insert_new(OptionQuote, options, conflict=("instrument_id", "minute"))
    underlyings_stored = _insert_new(UnderlyingQuote, underlyings, conflict=("underlying_id", "minute"))
    return StoreResult(
        options_stored=options_stored,
        options_kept=len(options) - options_stored,
        underlyings_stored=underlyings_stored,
        underlyings_kept=len(underlyings) - underlyings_stored,
    )


def _insert_new(model: type[models.Model], rows: Sequence[Any], *, conflict: tuple[str, str]) -> int:
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _copy_insert(model, rows, conflict=conflict)
    if not isinstance(rows[0], models.Model):
        rows = [model(**row) for row in rows]  # the embedded mode's writer is Django's own
    return _bulk_insert(model, rows, conflict=conflict)


def _bulk_insert(model: type[models.Model], rows: Sequence[models.Model], *, conflict: tuple[str, str]) -> int:
    """Counted before and after on the keys' minutes (the embedded mode has a single writer)."""
    owner = conflict[0]
    minutes = {getattr(row, "minute") for row in rows}  # noqa: B009 - both models have it, the base does not
    owners = {getattr(row, owner) for row in rows}
    manager = model._default_manager
    scope = manager.filter(Q(minute__in=minutes) & Q(**{f"{owner}__in": owners}))
    before = scope.count()
    manager.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return scope.count() - before


def _columns(model: type[models.Model]) -> list[tuple[models.Field[Any, Any], str]]:
    """(field, column) of every stored field but the primary key."""
    return [(field, field.column) for field in model._meta.concrete_fields if not field.primary_key and field.column]


def _copy_insert(model: type[models.Model], rows: Sequence[Any], *, conflict: tuple[str, str]) -> int:
    columns = _columns(model)
    fields = [field for field, _ in columns]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for _, column in columns)
    target = ", ".join(quote(name) for name in conflict)
    if isinstance(rows[0], models.Model):
        values = list(_instance_values(fields, rows))
    else:
        values = list(_plain_values(fields, rows))
    keys = [[column for _, column in columns].index(name) for name in conflict]
    with transaction.atomic(), connection.cursor() as cursor:
        types = column_types(cursor, model._meta.db_table, [column for _, column in columns])
        # The common case, a minute nobody has written yet (a back-fill, a bhavcopy, a new live minute): when
        # not one key is stored, the rows go straight into the table by one COPY, in a savepoint. A key a
        # concurrent writer stored in between (or one given twice) makes the COPY fail as a whole on the unique
        # index; it is rolled back and the first-writer path below decides row by row.
        if not _any_stored(cursor, table, conflict, [[row[i] for row in values] for i in keys], types, keys):
            try:
                with transaction.atomic():
                    _copy(cursor, f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", types, values)
                return len(values)
            except (IntegrityError, psycopg.IntegrityError):  # the COPY's own error is psycopg's
                pass  # stored in between, a key given twice, or a check violated: the path below says which
        # The staging rows live until the end of the transaction: one is needed even when the caller has none.
        # The stage is empty on entry: each call empties it before returning, and a call that fails rolls back
        # to its savepoint, rows and all.
        stage = stage_create(cursor, table=model._meta.db_table, columns=[column for _, column in columns])
        _copy(cursor, f"COPY {stage} ({names}) FROM STDIN (FORMAT BINARY)", types, values)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "  # noqa: S608 - model identifiers
            f"ON CONFLICT ({target}) DO NOTHING"
        )
        stored = cursor.rowcount
        cursor.execute(f"TRUNCATE {stage}")
    return stored


def _copy(cursor: Any, statement: str, types: list[int], values: list[Any]) -> None:
    with cursor.cursor.copy(statement) as copy:
        copy.set_types(types)
        write = copy.write_row
        for row in values:
            write(row)


def _any_stored(
    cursor: Any, table: str, conflict: tuple[str, str], keys: list[list[Any]], types: list[int], at: list[int]
) -> bool:
    """Whether a stored row has one of the owners and one of the minutes of ``keys`` (one probe of the unique
    index; exact when the call has one minute, as a collected minute or a bhavcopy has, and otherwise errs
    towards the first-writer path). The owners go as one array literal: dumping thousands of values one by one
    was most of the probe."""
    if types[at[0]] not in (20, 23) or types[at[1]] != 1184:  # not (integer owner, timestamptz minute)
        return True
    owners_given, minutes = set(keys[0]), list(set(keys[1]))
    if not all(type(value) is int for value in owners_given) or None in minutes:
        return True  # the COPY below says what is wrong with such a row
    owner, minute = (connection.ops.quote_name(name) for name in conflict)
    owners = "{" + ",".join(map(str, owners_given)) + "}"
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {minute} = ANY(%s) AND {owner} = ANY(%s::bigint[]))",  # noqa: S608
        [minutes, owners],
    )
    return bool(cursor.fetchone()[0])


def _plain_values(fields: list[models.Field[Any, Any]], rows: Sequence[Row]) -> Any:
    """Each row's values in column order, as given; a missing key takes the field's default (once per call:
    the COPY only reads it)."""
    attnames = [field.attname for field in fields]
    defaults = {field.attname: field.get_default() for field in fields}
    known = frozenset(attnames)
    pick = operator.itemgetter(*attnames)
    for row in rows:
        if len(row) == len(attnames):
            yield pick(row)  # every field given (a key unknown would leave one missing: KeyError)
        elif known.issuperset(row):
            yield pick({**defaults, **row})
        else:
            raise KeyError(f"not a field of {fields[0].model.__name__}: {sorted(set(row) - known)}")


def _instance_values(fields: list[models.Field[Any, Any]], rows: Sequence[models.Model]) -> Any:
    """Each instance's values in column order, each prepared by its field's type."""
    pick = operator.attrgetter(*[field.attname for field in fields])
    prepare = [_preparer(field) for field in fields]
    for row in rows:
        yield [convert(value) for convert, value in zip(prepare, pick(row), strict=True)]


_FLOATS = {"FloatField"}
_INTEGERS = {"BigIntegerField", "IntegerField", "SmallIntegerField", "PositiveIntegerField", "ForeignKey"}
_AS_IS = {"DateField"}


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _text(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value  # a TextChoices member stores its value


def _preparer(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How one field's value becomes what the binary COPY sends: the cheap conversion of its type where
    Django's ``get_db_prep_save`` would only do the same (benchmarks: ~65 % of the store was that call per
    field per row), Django's own for any other field, and for a naive datetime (made aware, with its warning)."""
    kind = field.get_internal_type()
    if isinstance(field, models.JSONField):
        return Jsonb
    if kind in _FLOATS:
        return _optional(float)
    if kind in _INTEGERS:
        return _optional(int)
    if kind in _AS_IS:
        return lambda value: value
    if kind in ("CharField", "TextField"):
        return _text
    if kind == "DateTimeField":

        def moment(value: Any) -> Any:
            if value is None or value.tzinfo is not None:
                return value
            return field.get_db_prep_save(value, connection)

        return moment
    return lambda value: field.get_db_prep_save(value, connection)


_TYPES: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}


def column_types(cursor: Any, table: str, columns: list[str]) -> list[int]:
    """PostgreSQL type oids of ``columns`` of ``table``, in order, for a binary COPY (read once per database and
    table: a column's type changes only by a migration, and a process is restarted after one)."""
    key = (connection.settings_dict["NAME"], table, tuple(columns))
    if key not in _TYPES:
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [connection.ops.quote_name(table)],
        )
        by_name = dict(cursor.fetchall())
        _TYPES[key] = [by_name[column] for column in columns]
    return _TYPES[key]
