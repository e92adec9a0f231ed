"""Writes for the market vocabulary: the collected underlyings (and the one instrument upsert)."""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from apps.core.staging import stage_create
from apps.market.models import Instrument, Underlying
from apps.market.rules import underlying_specs


def underlyings_load() -> int:
    """Create or update the collected underlyings from ``apps/market/rules/underlyings.json``; returns how many.

    Idempotent. An existing underlying keeps its ``active`` flag (an operator may have switched it off)."""
    specs = underlying_specs().values()
    with transaction.atomic():
        for spec in specs:
            Underlying.objects.update_or_create(
                symbol=spec.symbol,
                defaults={
                    "display_name": spec.display_name,
                    "exchange": spec.exchange,
                    "spot_tradingsymbol": spec.spot_tradingsymbol,
                    "spot_token": spec.spot_token,
                    "options_exchange": spec.options_exchange,
                    "options_segment": spec.options_segment,
                    "has_weeklies": spec.has_weeklies,
                    "display_order": spec.display_order,
                },
            )
    return len(specs)


InstrumentKey = tuple[str, str]
"""(exchange, tradingsymbol): how instruments are keyed everywhere (Kite reuses tokens)."""
UPSERT_BATCH = 2000


@dataclass
class InstrumentUpsert:
    """What ``instruments_upsert`` did, per key."""

    ids: dict[InstrumentKey, int] = field(default_factory=dict)
    created: list[InstrumentKey] = field(default_factory=list)
    changed: list[InstrumentKey] = field(default_factory=list)
    unchanged: list[InstrumentKey] = field(default_factory=list)
    before: dict[InstrumentKey, dict[str, Any]] = field(default_factory=dict)
    """The stored values of every key that existed, as they were before the upsert."""


def instruments_upsert(
    *, rows: Sequence[Mapping[str, Any]], keep: Collection[str] = (), now: datetime | None = None
) -> InstrumentUpsert:
    """The one instrument upsert (instrument sync and the bhavcopy importer both use it).

    ``rows`` are Instrument field values keyed by (``exchange``, ``tradingsymbol``), with ``underlying_id`` for
    the link. A new key is created with every value given; an existing one is brought in line with the row,
    except the fields in ``keep``, which an existing instrument keeps (a bhavcopy knows no tick size and must
    not reactivate a contract). Unchanged rows are not written. Call inside the caller's transaction."""
    result = InstrumentUpsert()
    if not rows:
        return result
    names = sorted({name for row in rows for name in row} - {"exchange", "tradingsymbol"})
    compared = [name for name in names if name not in keep and name != "synced_at"]
    update_fields = [name for name in names if name not in keep]
    if now is not None and "synced_at" not in update_fields:
        update_fields.append("synced_at")
    if connection.vendor == "postgresql":
        _upsert_staged(result, rows=rows, names=names, compared=compared, update_fields=update_fields, now=now)
    else:
        _upsert_orm(result, rows=rows, names=names, compared=compared, keep=keep, update_fields=update_fields, now=now)
    return result


def _upsert_staged(
    result: InstrumentUpsert,
    *,
    rows: Sequence[Mapping[str, Any]],
    names: list[str],
    compared: list[str],
    update_fields: list[str],
    now: datetime | None,
) -> None:
    """PostgreSQL: every row by one COPY into a stage; the stored values of the keys it holds by one join; then
    one ``INSERT ... ON CONFLICT DO UPDATE`` that rewrites only rows whose compared values differ, ``RETURNING``
    the ids it wrote (a text COPY: PostgreSQL itself casts each value to its column's type)."""
    fields = [field for field in Instrument._meta.concrete_fields if not field.primary_key]
    attnames = [field.attname for field in fields]
    defaults = {field.attname: field.get_default() for field in fields}
    if now is not None:
        defaults["synced_at"] = now
    quote = connection.ops.quote_name
    table = quote(Instrument._meta.db_table)
    names_stored = [str(field.column) for field in fields]
    columns = ", ".join(quote(column) for column in names_stored)
    with transaction.atomic(), connection.cursor() as cursor:
        stage = stage_create(cursor, table=Instrument._meta.db_table, columns=names_stored)
        pick = operator.itemgetter(*attnames)
        with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(pick({**defaults, **row}))
        stored = ", ".join(f"i.{quote(name)}" for name in names)
        cursor.execute(
            f"SELECT i.id, i.exchange, i.tradingsymbol, {stored} FROM {table} i "  # noqa: S608 - model identifiers
            f"JOIN {stage} s ON s.exchange = i.exchange AND s.tradingsymbol = i.tradingsymbol"
        )
        for pk, exchange, symbol, *values in cursor.fetchall():
            result.before[(exchange, symbol)] = {"pk": pk, "exchange": exchange, "tradingsymbol": symbol} | dict(
                zip(names, values, strict=True)
            )
        changes = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in update_fields)
        differ = " OR ".join(f"{table}.{quote(name)} IS DISTINCT FROM EXCLUDED.{quote(name)}" for name in compared)
        staged_differ = " OR ".join(f"i.{quote(name)} IS DISTINCT FROM s.{quote(name)}" for name in compared)
        staged = ", ".join(f"s.{quote(column)}" for column in names_stored)
        # Only the new and the differing rows reach the INSERT: an unchanged row that met ON CONFLICT would be
        # locked (a WAL record and a dirtied page per row, for nothing). The DO UPDATE WHERE still decides for a
        # row a concurrent writer changed in between.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {staged} FROM {stage} s "  # noqa: S608 - model identifiers
            f"LEFT JOIN {table} i ON i.exchange = s.exchange AND i.tradingsymbol = s.tradingsymbol "
            f"WHERE i.id IS NULL OR {staged_differ or 'false'} "
            f"ON CONFLICT (exchange, tradingsymbol) DO UPDATE SET {changes} WHERE {differ or 'false'} "
            "RETURNING id, exchange, tradingsymbol"
        )
        written = {(exchange, symbol): pk for pk, exchange, symbol in cursor.fetchall()}
        cursor.execute(f"TRUNCATE {stage}")
    for row in rows:
        key = (row["exchange"], row["tradingsymbol"])
        if key not in written:
            result.unchanged.append(key)
        else:
            (result.changed if key in result.before else result.created).append(key)
    result.ids.update({key: values["pk"] for key, values in result.before.items()})
    result.ids.update(written)


def _upsert_orm(
    result: InstrumentUpsert,
    *,
    rows: Sequence[Mapping[str, Any]],
    names: list[str],
    compared: list[str],
    keep: Collection[str],
    update_fields: list[str],
    now: datetime | None,
) -> None:
    """The embedded SQLite: the stored values read in batches, unchanged rows skipped, the rest bulk-upserted."""
    by_exchange: dict[str, list[str]] = {}
    for row in rows:
        by_exchange.setdefault(row["exchange"], []).append(row["tradingsymbol"])
    for exchange, symbols in by_exchange.items():
        for start in range(0, len(symbols), UPSERT_BATCH):
            stored = Instrument.objects.filter(
                exchange=exchange, tradingsymbol__in=symbols[start : start + UPSERT_BATCH]
            )
            for values in stored.values("pk", "exchange", "tradingsymbol", *names):
                result.before[(values["exchange"], values["tradingsymbol"])] = values
    to_write: list[Instrument] = []
    for row in rows:
        key = (row["exchange"], row["tradingsymbol"])
        current = result.before.get(key)
        if current is not None and all(current[name] == row[name] for name in compared):
            result.unchanged.append(key)
            continue
        (result.created if current is None else result.changed).append(key)
        values = dict(row) if current is None else {**row, **{name: current[name] for name in keep if name in current}}
        if now is not None:
            values.setdefault("synced_at", now)
        to_write.append(Instrument(**values))
    for start in range(0, len(to_write), UPSERT_BATCH):
        Instrument.objects.bulk_create(
            to_write[start : start + UPSERT_BATCH],
            update_conflicts=True,
            unique_fields=["exchange", "tradingsymbol"],
            update_fields=[name.removesuffix("_id") for name in update_fields],
        )
    written = [key for key in (*result.created, *result.changed)]
    for exchange in {key[0] for key in written}:
        symbols = [symbol for ex, symbol in written if ex == exchange]
        for start in range(0, len(symbols), UPSERT_BATCH):
            found = Instrument.objects.filter(
                exchange=exchange, tradingsymbol__in=symbols[start : start + UPSERT_BATCH]
            )
            result.ids.update({(exchange, symbol): pk for symbol, pk in found.values_list("tradingsymbol", "pk")})
    result.ids.update({key: values["pk"] for key, values in result.before.items() if key not in result.ids})
