"""Import an NSE/BSE F&O UDiFF bhavcopy as an end-of-day chain snapshot at the session close of its trade date.

Conventions (docs/conventions.md §6.1, §1.4):
* Instruments are keyed by (exchange, FinInstrmNm); instrument_token = FinInstrmId·256 + 2 (NFO) / + 5 (BFO).
  Tradingsymbols are never parsed: expiry, strike, type and lot come from their own columns.
* last_price = SttlmPric (untraded options' ClsPric is stale), close_price = PrvsClsgPric, spot = UndrlygPric.
* volume = TtlTradgVol (contracts) * NewBrdLotQty, per contract (two lot sizes can be live at once);
  oi = OpnIntrst and oi_change = ChngInOpnIntrst are already units.
* Expiry day: the expiring contracts' SttlmPric is the underlying's final settlement value, so their
  last_price is the option's payoff max(S - K, 0) / max(K - S, 0) at that value, and their forward is S.
* Everything goes in one transaction; a malformed file stores nothing.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.market import calendar
from apps.market.buckets import assign_buckets, bucket_of
from apps.market.models import Instrument, Underlying
from apps.market.strikes import atm_strike, strike_offset, strike_step
from apps.marketdata.models import OptionQuote, QuoteSource, UnderlyingQuote
from pricing.forward import resolve_forward

# fmt: off
UDIFF_COLUMNS: tuple[str, ...] = (
    "TradDt", "BizDt", "Sgmt", "Src", "FinInstrmTp", "FinInstrmId", "ISIN", "TckrSymb", "SctySrs", "XpryDt",
    "FininstrmActlXpryDt", "StrkPric", "OptnTp", "FinInstrmNm", "OpnPric", "HghPric", "LwPric", "ClsPric", "LastPric",
    "PrvsClsgPric", "UndrlygPric", "SttlmPric", "OpnIntrst", "ChngInOpnIntrst", "TtlTradgVol", "TtlTrfVal",
    "TtlNbOfTxsExctd", "SsnId", "NewBrdLotQty", "Rmks", "Rsvd1", "Rsvd2", "Rsvd3", "Rsvd4",
)
# fmt: on
"""The 34 UDiFF columns, all required (a file missing any is not a UDiFF bhavcopy)."""

INDEX_OPTION = "IDO"
INDEX_FUTURE = "IDF"
SEGMENT_ID = {"NFO": 2, "BFO": 5}
"""Low byte of a Kite instrument_token per exchange (pykiteconnect EXCHANGE_MAP)."""
EXPIRY_SETTLEMENT_FLAG = "expiry_settlement_payoff"
MINUTES_PER_YEAR = 525600


class BhavcopyError(ValueError):
    """A file that is not a usable UDiFF F&O bhavcopy."""


@dataclass(frozen=True)
class BhavRow:
    line: int
    trade_date: date
    kind: str
    token: int
    symbol: str
    expiry: date
    strike: float
    option_type: str
    name: str
    previous_close: float | None
    underlying_price: float
    settlement: float
    oi: int
    oi_change: int
    volume_contracts: int
    lot_size: int


@dataclass
class BhavcopyImport:
    """What one import stored."""

    trade_date: date
    minute: datetime
    options: dict[str, int] = field(default_factory=dict)
    """Option quotes written per underlying symbol."""
    instruments_created: int = 0
    kept_collected: int = 0
    """Rows left alone because a live-collected quote already holds that (instrument, minute)."""
    skipped_symbols: tuple[str, ...] = ()
    expiring: int = 0
    """Expiring contracts stored at their settlement payoff."""

    @property
    def total(self) -> int:
        return sum(self.options.values())


# --- Reading -------------------------------------------------------------------------------------------------


def bhavcopy_text(path: Path) -> str:
    """The CSV text of a plain or zipped bhavcopy."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BhavcopyError(f"cannot read the file ({exc.strerror or exc})") from exc
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(members) != 1:
                    raise BhavcopyError(f"the zip holds {len(members)} CSV files; expected exactly one")
                raw = archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise BhavcopyError(f"a broken zip file ({exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _float(value: str, *, line: int, column: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a finite number")
    return number


def _int(value: str, *, line: int, column: str) -> int:
    number = _float(value, line=line, column=column)
    if number != int(number):
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a whole number")
    return int(number)


def _date(value: str, *, line: int, column: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a YYYY-MM-DD date") from None


def bhavcopy_parse(text: str) -> list[BhavRow]:
    """The index option and index future rows of a UDiFF bhavcopy (other instrument types are ignored)."""
    head = text[:2000].lower()
    if "<html" in head or "<!doctype" in head:
        raise BhavcopyError("this is an HTML page, not a bhavcopy (the exchange serves one for a missing date)")
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    missing = [c for c in UDIFF_COLUMNS if c not in header]
    if missing:
        raise BhavcopyError(f"not a UDiFF F&O bhavcopy: missing column(s) {', '.join(missing)}")
    at = {name: header.index(name) for name in UDIFF_COLUMNS}
    rows: list[BhavRow] = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise BhavcopyError(f"line {line} has {len(cells)} fields; the header has {len(header)}")

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[at[name]].strip()

        kind = cell("FinInstrmTp")
        if kind not in (INDEX_OPTION, INDEX_FUTURE):
            continue
        is_option = kind == INDEX_OPTION
        option_type = cell("OptnTp") if is_option else ""
        if is_option and option_type not in ("CE", "PE"):
            raise BhavcopyError(f"line {line}, column OptnTp: {option_type!r} is neither CE nor PE")
        lot_size = _int(cell("NewBrdLotQty"), line=line, column="NewBrdLotQty")
        if lot_size <= 0:
            raise BhavcopyError(f"line {line}, column NewBrdLotQty: lot size {lot_size} is not positive")
        settlement = _float(cell("SttlmPric"), line=line, column="SttlmPric")
        if settlement < 0:
            raise BhavcopyError(f"line {line}, column SttlmPric: {settlement} is negative")
        previous = cell("PrvsClsgPric")
        oi = _int(cell("OpnIntrst"), line=line, column="OpnIntrst")
        volume = _int(cell("TtlTradgVol"), line=line, column="TtlTradgVol")
        if oi < 0 or volume < 0:
            raise BhavcopyError(f"line {line}: negative open interest ({oi}) or volume ({volume})")
        rows.append(
            BhavRow(
                line=line,
                trade_date=_date(cell("TradDt"), line=line, column="TradDt"),
                kind=kind,
                token=_int(cell("FinInstrmId"), line=line, column="FinInstrmId"),
                symbol=cell("TckrSymb"),
                expiry=_date(cell("XpryDt"), line=line, column="XpryDt"),
                strike=_float(cell("StrkPric"), line=line, column="StrkPric") if is_option else 0.0,
                option_type=option_type,
                name=cell("FinInstrmNm"),
                previous_close=_float(previous, line=line, column="PrvsClsgPric") if previous else None,
                underlying_price=_float(cell("UndrlygPric"), line=line, column="UndrlygPric"),
                settlement=settlement,
                oi=oi,
                oi_change=_int(cell("ChngInOpnIntrst"), line=line, column="ChngInOpnIntrst"),
                volume_contracts=volume,
                lot_size=lot_size,
            )
        )
    trade_dates = sorted({r.trade_date for r in rows})
    if len(trade_dates) > 1:
        raise BhavcopyError(f"rows for several trade dates ({', '.join(map(str, trade_dates))}); expected one")
    if not any(r.kind == INDEX_OPTION for r in rows):
        raise BhavcopyError("no index option rows (FinInstrmTp IDO) in the file")
    return rows


# --- Storing -------------------------------------------------------------------------------------------------

NSE_INDEX_OPTION_TICK = 0.05
"""Tick of NSE/BSE index options (the file has no tick column); only used for instruments created here."""


@dataclass(frozen=True)
class _ExpiryView:
    forward: float
    atm: float
    step: float
    settlement_value: float | None
    """Set on the expiry day of this expiry: the underlying's final settlement value."""


def _ist_today() -> date:
    return calendar.to_ist(timezone.now()).date()


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
        t = (calendar.expiry_close(expiry, exchange) - minute).total_seconds() / 60.0 / MINUTES_PER_YEAR
        calls = {r.strike: r for r in rows if r.option_type == "CE"}
        puts = {r.strike: r for r in rows if r.option_type == "PE"}
        nan = float("nan")
        call_price = [calls[k].settlement if k in calls else nan for k in strikes]
        put_price = [puts[k].settlement if k in puts else nan for k in strikes]
        traded = [
            k in calls and k in puts and calls[k].volume_contracts > 0 and puts[k].volume_contracts > 0 for k in strikes
        ]
        resolved, _method = resolve_forward(
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


def _upsert_instruments(*, underlying: Underlying, rows: list[BhavRow]) -> tuple[dict[str, Instrument], int]:
    """Instrument per FinInstrmNm, created or brought in line with the file; returns (by name, created count)."""
    exchange = underlying.options_exchange
    segment_id = SEGMENT_ID.get(exchange)
    if segment_id is None:
        raise ApplicationError(f"{underlying.symbol} trades options on {exchange!r}; only NFO and BFO are known.")
    existing = {
        i.tradingsymbol: i
        for i in Instrument.objects.filter(exchange=exchange, tradingsymbol__in=[r.name for r in rows])
    }
    today = _ist_today()
    to_create: list[Instrument] = []
    to_update: list[Instrument] = []
    fields = [
        "instrument_token",
        "exchange_token",
        "name",
        "segment",
        "underlying",
        "expiry",
        "strike",
        "instrument_type",
        "lot_size",
    ]
    for row in rows:
        values = {
            "instrument_token": row.token * 256 + segment_id,
            "exchange_token": str(row.token),
            "name": underlying.symbol,
            "segment": underlying.options_segment,
            "underlying": underlying,
            "expiry": row.expiry,
            "strike": row.strike,
            "instrument_type": row.option_type,
            "lot_size": row.lot_size,
        }
        instrument = existing.get(row.name)
        if instrument is None:
            to_create.append(
                Instrument(
                    exchange=exchange,
                    tradingsymbol=row.name,
                    tick_size=NSE_INDEX_OPTION_TICK,
                    active=row.expiry >= today,
                    **values,
                )
            )
        elif any(getattr(instrument, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(instrument, f, v)
            to_update.append(instrument)
    created = Instrument.objects.bulk_create(to_create)
    if to_update:
        Instrument.objects.bulk_update(to_update, fields)
    return {**existing, **{i.tradingsymbol: i for i in created}}, len(created)


def _store_underlying(*, underlying: Underlying, rows: list[BhavRow], minute: datetime, trade_date: date) -> None:
    options = [r for r in rows if r.kind == INDEX_OPTION]
    futures = sorted((r for r in rows if r.kind == INDEX_FUTURE and r.expiry >= trade_date), key=lambda r: r.expiry)
    nearest = futures[0] if futures else None
    quote = UnderlyingQuote.objects.filter(underlying=underlying, minute=minute).first()
    if quote is not None and quote.source != QuoteSource.BHAVCOPY:
        return  # a live-collected quote holds this minute; the archive keeps what was seen live
    UnderlyingQuote.objects.update_or_create(
        underlying=underlying,
        minute=minute,
        defaults={
            "spot": options[0].underlying_price,
            "future": nearest.settlement if nearest else None,
            "future_expiry": nearest.expiry if nearest else None,
            "source": QuoteSource.BHAVCOPY,
        },
    )


def _quotes_for_underlying(
    *, underlying: Underlying, rows: list[BhavRow], minute: datetime, trade_date: date, result: BhavcopyImport
) -> list[OptionQuote]:
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
    instruments, created = _upsert_instruments(underlying=underlying, rows=options)
    result.instruments_created += created

    quotes: list[OptionQuote] = []
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
        for row in expiry_rows:
            expiring = view.settlement_value is not None
            quotes.append(
                OptionQuote(
                    minute=minute,
                    instrument=instruments[row.name],
                    underlying=underlying,
                    expiry=expiry,
                    strike=row.strike,
                    option_type=row.option_type,
                    expiry_bucket=bucket,
                    strike_offset=strike_offset(row.strike, view.atm, view.step),
                    source=QuoteSource.BHAVCOPY,
                    last_price=_payoff(row, view.settlement_value)
                    if view.settlement_value is not None
                    else row.settlement,
                    close_price=row.previous_close,
                    volume=row.volume_contracts * row.lot_size,
                    oi=row.oi,
                    oi_change=row.oi_change,
                    spot=spot,
                    forward=view.forward,
                    quality_flags=[EXPIRY_SETTLEMENT_FLAG] if expiring else [],
                )
            )
            result.expiring += int(expiring)
    return quotes


QUOTE_UPDATE_FIELDS = [
    "underlying",
    "expiry",
    "strike",
    "option_type",
    "expiry_bucket",
    "strike_offset",
    "source",
    "last_price",
    "close_price",
    "volume",
    "oi",
    "oi_change",
    "spot",
    "forward",
]


def bhavcopy_import(*, path: Path) -> BhavcopyImport:
    """Store one bhavcopy's index options of known underlyings at the session close of its trade date.

    Idempotent (unique per instrument and minute; re-importing writes the same values). A quote already collected
    live at that minute is kept. Raises ApplicationError naming the problem; then nothing is stored."""
    try:
        rows = bhavcopy_parse(bhavcopy_text(path))
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
    exchanges = {underlyings[s].exchange for s in known}
    minutes = {calendar.session_close(trade_date, exchange) for exchange in exchanges}
    minute = min(minutes)
    result = BhavcopyImport(
        trade_date=trade_date, minute=minute, skipped_symbols=tuple(s for s in sorted(by_symbol) if s not in known)
    )
    try:
        with transaction.atomic():
            for symbol in known:
                underlying = underlyings[symbol]
                symbol_minute = calendar.session_close(trade_date, underlying.exchange)
                quotes = _quotes_for_underlying(
                    underlying=underlying,
                    rows=by_symbol[symbol],
                    minute=symbol_minute,
                    trade_date=trade_date,
                    result=result,
                )
                held = set(
                    OptionQuote.objects.filter(minute=symbol_minute, instrument__in=[q.instrument for q in quotes])
                    .exclude(source=QuoteSource.BHAVCOPY)
                    .values_list("instrument_id", flat=True)
                )
                writable = [q for q in quotes if q.instrument.pk not in held]
                OptionQuote.objects.bulk_create(
                    writable,
                    batch_size=1000,
                    update_conflicts=True,
                    unique_fields=["instrument", "minute"],
                    update_fields=QUOTE_UPDATE_FIELDS,
                )
                result.kept_collected += len(held)
                result.options[symbol] = len(writable)
                _store_underlying(
                    underlying=underlying, rows=by_symbol[symbol], minute=symbol_minute, trade_date=trade_date
                )
    except BhavcopyError as exc:
        raise ApplicationError(f"{path.name}: {exc}", extra={"file": str(path)}) from exc
    return result
