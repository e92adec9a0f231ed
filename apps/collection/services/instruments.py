"""Instrument sync: the broker's instruments dump into the market's instruments (needs a broker, so it sits above
the market vocabulary)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from apps.brokers.base import Broker, InstrumentRow
from apps.core.errors import ApplicationError
from apps.market.clock import to_ist
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.market.services import instruments_upsert

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_EXCHANGES = ("NFO", "BFO", "NSE", "BSE")
INSTRUMENT_COLUMNS = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)
DERIVATIVE_TYPES = {InstrumentType.CE.value, InstrumentType.PE.value, InstrumentType.FUT.value}
INSTRUMENT_TYPES = frozenset(InstrumentType.values)  # Choices.values builds a new list on every access
BATCH_SIZE = 2000


@dataclass
class ExchangeCounts:
    listed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    spot_linked: int = 0
    per_exchange: dict[str, ExchangeCounts] = field(default_factory=dict)

    def __str__(self) -> str:
        exchanges = ", ".join(f"{name} {counts.listed}" for name, counts in self.per_exchange.items())
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deactivated} deactivated, {self.spot_linked} spot indices linked ({exchanges})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "spot_linked": self.spot_linked,
            "per_exchange": {name: vars(counts) for name, counts in self.per_exchange.items()},
        }


def _bad_row(exchange: str, number: int, row: Any, problem: str) -> ApplicationError:
    symbol = row.get("tradingsymbol", "?") if isinstance(row, dict) else "?"
    return ApplicationError(
        f"Instruments dump for {exchange}, row {number} ({symbol}): {problem}. Nothing was written.",
        extra={"exchange": exchange, "row": number, "tradingsymbol": symbol},
    )


def _parse_expiry(value: Any) -> date | None:
    if value in ("", None):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)  # ValueError on anything but YYYY-MM-DD
    raise ValueError(value)


def _clean_row(exchange: str, number: int, row: InstrumentRow) -> dict[str, Any]:
    """A validated copy of one dump row with Python types, or ApplicationError saying what is wrong."""
    if not isinstance(row, dict):
        raise _bad_row(exchange, number, row, f"expected a mapping of the 12 Kite columns, got {type(row).__name__}")
    missing = [column for column in INSTRUMENT_COLUMNS if column not in row]
    if missing:
        raise _bad_row(exchange, number, row, f"missing column(s) {', '.join(missing)}")
    if row["exchange"] != exchange:
        raise _bad_row(exchange, number, row, f"exchange {row['exchange']!r} in the {exchange} dump")
    instrument_type = row["instrument_type"]
    if instrument_type not in INSTRUMENT_TYPES:
        allowed = ", ".join(InstrumentType.values)
        raise _bad_row(
            exchange, number, row, f"unknown instrument_type {instrument_type!r} (expected one of {allowed})"
        )
    try:
        expiry = _parse_expiry(row["expiry"])
    except ValueError:
        raise _bad_row(exchange, number, row, f"bad expiry {row['expiry']!r} (expected YYYY-MM-DD or empty)") from None
    if instrument_type in DERIVATIVE_TYPES and expiry is None:
        raise _bad_row(exchange, number, row, f"a {instrument_type} contract without an expiry")
    try:
        strike = float(row["strike"] or 0)
        tick_size = float(row["tick_size"] or 0)
        lot_size = int(row["lot_size"] or 0)
        token = int(row["instrument_token"])
    except (TypeError, ValueError) as exc:
        raise _bad_row(exchange, number, row, f"a non-numeric strike, tick_size, lot_size or token ({exc})") from None
    if strike < 0 or lot_size < 0 or tick_size < 0 or token <= 0:
        raise _bad_row(exchange, number, row, "a negative strike, lot_size or tick_size, or a non-positive token")
    tradingsymbol = str(row["tradingsymbol"] or "").strip()
    if not tradingsymbol:
        raise _bad_row(exchange, number, row, "an empty tradingsymbol")
    return {
        "instrument_token": token,
        "exchange_token": str(row["exchange_token"]),
        "tradingsymbol": tradingsymbol,
        "name": str(row["name"] or "").strip(),
        "exchange": exchange,
        "segment": str(row["segment"]),
        "expiry": expiry,
        "strike": strike,
        "instrument_type": instrument_type,
        "lot_size": lot_size,
        "tick_size": tick_size,
    }


def _underlying_links() -> dict[tuple[str, str], int]:
    """(segment, Kite name) -> underlying id. Options and futures link by their ``name`` column, never by symbol."""
    links: dict[tuple[str, str], int] = {}
    for underlying in Underlying.objects.all():
        exchange = underlying.options_exchange
        for segment in {underlying.options_segment, f"{exchange}-OPT", f"{exchange}-FUT"}:
            links[(segment, underlying.symbol)] = underlying.pk
    return links


def _download(broker: Broker, exchanges: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    cleaned: dict[str, list[dict[str, Any]]] = {}
    for exchange in exchanges:
        rows = broker.instruments(exchange)
        seen: set[str] = set()
        cleaned[exchange] = []
        for number, row in enumerate(rows, start=1):
            clean = _clean_row(exchange, number, row)
            if clean["tradingsymbol"] in seen:
                raise _bad_row(exchange, number, row, "a tradingsymbol listed twice")
            seen.add(clean["tradingsymbol"])
            cleaned[exchange].append(clean)
    return cleaned


def _link_spot_instruments() -> int:
    linked = 0
    for underlying in Underlying.objects.all():
        spot = Instrument.objects.filter(
            exchange=underlying.exchange, tradingsymbol=underlying.spot_tradingsymbol, segment="INDICES", active=True
        ).first()
        if spot is None:
            continue
        if underlying.spot_instrument_id != spot.pk or underlying.spot_token != spot.instrument_token:
            underlying.spot_instrument = spot
            underlying.spot_token = spot.instrument_token
            underlying.save(update_fields=["spot_instrument", "spot_token"])
        linked += 1
    return linked


def instruments_sync(
    *, broker: Broker, exchanges: Sequence[str] = DEFAULT_EXCHANGES, today: date | None = None
) -> SyncResult:
    """Download each exchange's instruments dump and upsert it by (exchange, tradingsymbol), in one transaction.

    Contracts link to an underlying by the dump's ``name`` + segment (an empty ``name``, as in old dumps, leaves them
    unlinked). Rows of these exchanges that are no longer listed, or have expired, are deactivated. INDICES rows
    become the underlyings' ``spot_instrument``. A malformed row raises ApplicationError before anything is written.
    ``today`` (IST date, default now) decides which contracts have expired.
    """
    exchanges = list(dict.fromkeys(exchanges))
    if not exchanges:
        raise ApplicationError("No exchanges to sync; name at least one of NFO, BFO, NSE, BSE.")
    downloaded = _download(broker, exchanges)
    now = timezone.now()
    today = today or to_ist(now).date()
    result = SyncResult(per_exchange={exchange: ExchangeCounts() for exchange in exchanges})
    with transaction.atomic():
        links = _underlying_links()
        active_before = {
            (exchange, symbol): pk
            for pk, exchange, symbol in Instrument.objects.filter(exchange__in=exchanges, active=True).values_list(
                "pk", "exchange", "tradingsymbol"
            )
        }
        rows: list[dict[str, Any]] = []
        for exchange, listed in downloaded.items():
            result.per_exchange[exchange].listed = len(listed)
            for row in listed:
                row["underlying_id"] = links.get((row["segment"], row["name"])) if row["name"] else None
                row["active"] = row["expiry"] is None or row["expiry"] >= today
                rows.append(row)
        upsert = instruments_upsert(rows=rows, now=now)
        for key in upsert.created:
            result.per_exchange[key[0]].created += 1
        for key in upsert.unchanged:
            result.per_exchange[key[0]].unchanged += 1
        active_now = {(row["exchange"], row["tradingsymbol"]): row["active"] for row in rows}
        for key in upsert.changed:
            expired = upsert.before[key]["active"] and not active_now[key]  # still listed, but expired
            counts = result.per_exchange[key[0]]
            if expired:
                counts.deactivated += 1
            else:
                counts.updated += 1
        stale = {key: pk for key, pk in active_before.items() if key not in active_now}  # no longer listed
        for exchange, _ in stale:
            result.per_exchange[exchange].deactivated += 1
        for pk_batch in _batches(list(stale.values()), BATCH_SIZE):
            Instrument.objects.filter(pk__in=pk_batch).update(active=False, synced_at=now)
        result.spot_linked = _link_spot_instruments()
    for counts in result.per_exchange.values():
        result.created += counts.created
        result.updated += counts.updated
        result.unchanged += counts.unchanged
        result.deactivated += counts.deactivated
    logger.info("instruments synced from %s: %s", broker.name, result)
    return result


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
