"""Import an NSE/BSE F&O UDiFF bhavcopy as an end-of-day chain snapshot at the session close of its trade date.

Parsing is ``apps.marketdata.udiff`` (pure); this module turns its rows into instruments and quotes and stores
them through the platform's one instrument upsert and one quote store. Conventions (docs/conventions.md §6.1,
§1.4; docs/exchange-data.md):

* Instruments are keyed by (exchange, FinInstrmNm); instrument_token = FinInstrmId·256 + 2 (NFO) / + 5 (BFO).
  Tradingsymbols are never parsed: expiry, strike, type and lot come from their own columns.
* last_price = SttlmPric (untraded options' ClsPric is stale), close_price = PrvsClsgPric, spot = UndrlygPric.
* volume = TtlTradgVol (contracts) * NewBrdLotQty, per contract (two lot sizes can be live at once);
  oi = OpnIntrst and oi_change = ChngInOpnIntrst are already units.
* Expiry day: the expiring contracts' SttlmPric is the underlying's final settlement value, so their
  last_price is the option's payoff max(S - K, 0) / max(K - S, 0) at that value, and their forward is S.
* Everything goes in one transaction; a malformed file stores nothing. The first-writer rule of the quote
  store applies: a minute already collected live, or a file imported before, keeps its rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DataError, transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.market import calendar
from apps.market.buckets import assign_buckets, bucket_of
from apps.market.clock import to_ist
from apps.market.models import Underlying
from apps.market.services import instruments_upsert
from apps.market.strikes import atm_strike, strike_offset, strike_step
from apps.marketdata.models import QuoteSource
from apps.marketdata.services.quote_store import quotes_store
from apps.marketdata.udiff import (
    INDEX_FUTURE,
    INDEX_OPTION,
    MAX_FILE_BYTES,
    BhavcopyError,
    BhavRow,
    bhavcopy_parse,
    bhavcopy_text,
)
from pricing.forward import resolve_forward

SEGMENT_ID = {"NFO": 2, "BFO": 5}
"""Low byte of a Kite instrument_token per exchange (pykiteconnect EXCHANGE_MAP)."""
EXPIRY_SETTLEMENT_FLAG = "expiry_settlement_payoff"
NSE_INDEX_OPTION_TICK = 0.05
"""Tick of NSE/BSE index options (the file has no tick column); only used for instruments created here."""
KEPT_BY_EXISTING = ("tick_size", "active", "synced_at")
"""What an instrument already synced from the broker keeps: the file knows no tick and must not reactivate."""


@dataclass
class BhavcopyImport:
    """What one import stored."""

    trade_date: date
    minute: datetime
    options: dict[str, int] = field(default_factory=dict)
    """Option quotes written per underlying symbol."""
    instruments_created: int = 0
    kept_collected: int = 0
    """Rows left alone because an earlier writer (live collection, an earlier import) holds that minute."""
    skipped_symbols: tuple[str, ...] = ()
    expiring: int = 0
    """Expiring contracts stored at their settlement payoff."""

    @property
    def total(self) -> int:
        return sum(self.options.values())


@dataclass(frozen=True)
class _ExpiryView:
    forward: float
    atm: float
    step: float
    settlement_value: float | None
    """Set on the expiry day of this expiry: the underlying's final settlement value."""


def _expiry_view(
    *,
    rows: list[BhavRow],
    expiry: date,
    trade_date: date,
    minute: datetime,
    spot: float,
    future: float | None,
    exchange: str,
) -> _ExpiryView:
    strikes = sorted({r.strike for r in rows})
    if expiry == trade_date:
        # Expiring today: SttlmPric is the underlying's final settlement value, the same on every row (§1.4).
        values = {r.settlement for r in rows}
        if len(values) != 1:
            raise BhavcopyError(
                f"expiring {expiry} rows carry {len(values)} different settlement prices; expected the one "
                "underlying settlement value on every row"
            )
        settlement_value = values.pop()
        forward = settlement_value
    else:
        settlement_value = None
        t = calendar.years_to_expiry(minute, expiry, exchange)
        calls = {r.strike: r for r in rows if r.option_type == "CE"}
        puts = {r.strike: r for r in rows if r.option_type == "PE"}
        nan = float("nan")
        call_price = [calls[k].settlement if k in calls else nan for k in strikes]
        put_price = [puts[k].settlement if k in puts else nan for k in strikes]
        traded = [
            k in calls and k in puts and calls[k].volume_contracts > 0 and puts[k].volume_contracts > 0 for k in strikes
        ]
        resolved, _source = resolve_forward(
            strikes, call_price, put_price, traded, spot, t, settings.OPTRADING_RISK_FREE_RATE, future_price=future
        )
        forward = float(resolved)
    atm = atm_strike(strikes, forward)
    step = strike_step(strikes, atm) if len(strikes) > 1 else 1.0
    return _ExpiryView(forward=forward, atm=atm, step=step, settlement_value=settlement_value)


def _payoff(row: BhavRow, settlement_value: float) -> float:
    if row.option_type == "CE":
        return max(settlement_value - row.strike, 0.0)
    return max(row.strike - settlement_value, 0.0)


def _instrument_rows(*, underlying: Underlying, rows: list[BhavRow], today: date) -> list[dict[str, Any]]:
    exchange = underlying.options_exchange
    segment_id = SEGMENT_ID.get(exchange)
    if segment_id is None:
        raise ApplicationError(f"{underlying.symbol} trades options on {exchange!r}; only NFO and BFO are known.")
    return [
        {
            "exchange": exchange,
            "tradingsymbol": row.name,
            "instrument_token": row.token * 256 + segment_id,
            "exchange_token": str(row.token),
            "name": underlying.symbol,
            "segment": underlying.options_segment,
            "underlying_id": underlying.pk,
            "expiry": row.expiry,
            "strike": row.strike,
            "instrument_type": row.option_type,
            "lot_size": row.lot_size,
            "tick_size": NSE_INDEX_OPTION_TICK,
            "active": row.expiry >= today,
        }
        for row in rows
    ]


def _underlying_quote(
    *, underlying: Underlying, rows: list[BhavRow], minute: datetime, trade_date: date
) -> dict[str, Any]:
    options = [r for r in rows if r.kind == INDEX_OPTION]
    futures = sorted((r for r in rows if r.kind == INDEX_FUTURE and r.expiry >= trade_date), key=lambda r: r.expiry)
    nearest = futures[0] if futures else None
    return {
        "underlying_id": underlying.pk,
        "minute": minute,
        "spot": options[0].underlying_price,
        "future": nearest.settlement if nearest else None,
        "future_expiry": nearest.expiry if nearest else None,
        "futures": {r.expiry.isoformat(): r.settlement for r in futures},
        "futures_oi": {r.expiry.isoformat(): r.oi for r in futures},
        "source": str(QuoteSource.BHAVCOPY),
    }


def _option_quotes(
    *, underlying: Underlying, rows: list[BhavRow], minute: datetime, trade_date: date, result: BhavcopyImport
) -> list[dict[str, Any]]:
    """Plain rows for the quote store's bulk path (no model instances)."""
    options = [r for r in rows if r.kind == INDEX_OPTION]
    spots = {r.underlying_price for r in options}
    if len(spots) != 1 or min(spots) <= 0:
        raise BhavcopyError(f"{underlying.symbol}: UndrlygPric should be one positive value, found {sorted(spots)}")
    spot = spots.pop()
    futures = {r.expiry: r.settlement for r in rows if r.kind == INDEX_FUTURE}
    by_expiry: dict[date, list[BhavRow]] = defaultdict(list)
    for row in options:
        by_expiry[row.expiry].append(row)
    if any(e < trade_date for e in by_expiry):
        raise BhavcopyError(f"{underlying.symbol}: an option expiring before the trade date {trade_date}")
    buckets = assign_buckets(list(by_expiry), today=trade_date, has_weeklies=underlying.has_weeklies)
    upsert = instruments_upsert(
        rows=_instrument_rows(underlying=underlying, rows=options, today=to_ist(timezone.now()).date()),
        keep=KEPT_BY_EXISTING,
    )
    result.instruments_created += len(upsert.created)

    quotes: list[dict[str, Any]] = []
    ids, exchange, underlying_id = upsert.ids, underlying.options_exchange, underlying.pk
    source = str(QuoteSource.BHAVCOPY)
    for expiry, expiry_rows in sorted(by_expiry.items()):
        view = _expiry_view(
            rows=expiry_rows,
            expiry=expiry,
            trade_date=trade_date,
            minute=minute,
            spot=spot,
            future=futures.get(expiry),
            exchange=underlying.exchange,
        )
        bucket = bucket_of(expiry, buckets)
        expiring = view.settlement_value is not None
        flags = [EXPIRY_SETTLEMENT_FLAG] if expiring else []
        for row in expiry_rows:
            quotes.append(
                {
                    "minute": minute,
                    "instrument_id": ids[(exchange, row.name)],
                    "underlying_id": underlying_id,
                    "expiry": expiry,
                    "strike": row.strike,
                    "option_type": row.option_type,
                    "expiry_bucket": bucket,
                    "strike_offset": strike_offset(row.strike, view.atm, view.step),
                    "source": source,
                    "last_price": _payoff(row, view.settlement_value)
                    if view.settlement_value is not None
                    else row.settlement,
                    "close_price": row.previous_close,
                    "volume": row.volume_contracts * row.lot_size,
                    "oi": row.oi,
                    "oi_change": row.oi_change,
                    "spot": spot,
                    "forward": view.forward,
                    "quality_flags": flags,
                }
            )
        result.expiring += len(expiry_rows) if expiring else 0
    return quotes


def bhavcopy_import(*, path: Path, max_bytes: int = MAX_FILE_BYTES) -> BhavcopyImport:
    """Store one bhavcopy's index options of known underlyings at the session close of its trade date.

    Idempotent (the first writer of an (instrument, minute) keeps it). Raises ApplicationError naming the
    problem; then nothing is stored."""
    try:
        rows = bhavcopy_parse(bhavcopy_text(path, max_bytes=max_bytes))
    except BhavcopyError as exc:
        raise ApplicationError(f"{path.name}: {exc}", extra={"file": str(path)}) from exc
    trade_date = rows[0].trade_date
    underlyings = {u.symbol: u for u in Underlying.objects.all()}
    by_symbol: dict[str, list[BhavRow]] = defaultdict(list)
    for row in rows:
        by_symbol[row.symbol].append(row)
    known = sorted(s for s, rs in by_symbol.items() if s in underlyings and any(r.kind == INDEX_OPTION for r in rs))
    if not known:
        raise ApplicationError(
            f"{path.name}: no index option rows for a known underlying (file has {', '.join(sorted(by_symbol))}; "
            f"known: {', '.join(sorted(underlyings)) or 'none - load the underlyings first'})"
        )
    minute = min(calendar.session_close(trade_date, underlyings[s].exchange) for s in known)
    result = BhavcopyImport(
        trade_date=trade_date, minute=minute, skipped_symbols=tuple(s for s in sorted(by_symbol) if s not in known)
    )
    try:
        with transaction.atomic():
            for symbol in known:
                underlying = underlyings[symbol]
                symbol_minute = calendar.session_close(trade_date, underlying.exchange)
                quotes = _option_quotes(
                    underlying=underlying,
                    rows=by_symbol[symbol],
                    minute=symbol_minute,
                    trade_date=trade_date,
                    result=result,
                )
                spot = _underlying_quote(
                    underlying=underlying, rows=by_symbol[symbol], minute=symbol_minute, trade_date=trade_date
                )
                stored = quotes_store(options=quotes, underlyings=[spot])
                result.options[symbol] = stored.options_stored
                result.kept_collected += stored.options_kept
    except BhavcopyError as exc:
        raise ApplicationError(f"{path.name}: {exc}", extra={"file": str(path)}) from exc
    except DataError as exc:  # a value the parser let through but a column cannot hold: nothing was stored
        raise ApplicationError(
            f"{path.name}: a value does not fit the archive ({exc})", extra={"file": str(path)}
        ) from exc
    return result
