"""Writes for the market vocabulary: the collected underlyings (and the one instrument upsert)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

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
    compared = [name for name in names if name not in keep and name != "synced_at"]
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
    update_fields = [name.removesuffix("_id") for name in names if name not in keep]
    if now is not None and "synced_at" not in update_fields:
        update_fields.append("synced_at")
    for start in range(0, len(to_write), UPSERT_BATCH):
        Instrument.objects.bulk_create(
            to_write[start : start + UPSERT_BATCH],
            update_conflicts=True,
            unique_fields=["exchange", "tradingsymbol"],
            update_fields=update_fields,
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
    return result
