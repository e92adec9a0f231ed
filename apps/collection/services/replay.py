"""Replay an archived day through the whole pipeline: ``python manage.py replay --date D --speed N --into URL``.

The day is read from the stored quotes of this database (the archive) and fed, minute by minute, through the
replay broker into ``minute_collect`` running against the database ``into``: collection stores it through the one
quote store, analytics runs on each minute, alerts fire on the analytics and the live feeds publish, exactly as
when the day was collected. Replaying a day into an empty database gives the same quotes and chain snapshots as
the original (tests/collection/test_replay.py).

What is rebuilt from the stored quotes: every stored option quote (last, average, previous close, volume, OI and
its day range, best bid/ask and their quantities, last trade time), each index's spot and previous close, India
VIX and the futures quoted that minute. Instruments are the archive's listed on or after the day. The market
overview's constituent quotes are not stored, so the overview of a replayed minute is recorded as failed (the
chain is unaffected).

The source is read through a second connection (alias ``replay_source``) while ``default`` points at ``into``,
so every service of the pipeline writes where it always does, to ``default``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import environ
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections
from django.db.models import Q

from apps.analytics.services import analytics_compute
from apps.brokers.base import InstrumentRow, QuoteDict
from apps.brokers.raw_archive import raw_day_read, raw_root
from apps.brokers.replay import ReplayBroker, ReplayDay
from apps.collection.services.chain import VIX_KEY, last_collected_minute
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import minute_collect
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.clock import IST, ist_day_bounds, ist_label, to_ist
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.market.rules import underlying_specs
from apps.market.services import underlyings_load
from apps.marketdata import legs
from apps.marketdata.models import OptionQuote, QuoteSource, UnderlyingQuote

logger = logging.getLogger(__name__)

SOURCE = "replay_source"
LIVE_SOURCES = (QuoteSource.COLLECTED, QuoteSource.TICKER)


@dataclass(frozen=True)
class ReplayResult:
    day: date
    symbols: list[str]
    minutes: int
    collected: int
    options_stored: int
    skipped: list[str]


def _naive_ist(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_ist(moment).replace(tzinfo=None)


def _depth(price: float | None, quantity: int | None) -> list[dict[str, Any]]:
    levels = [{"price": 0.0, "quantity": 0, "orders": 0} for _ in range(5)]
    levels[0] = {"price": price or 0.0, "quantity": quantity or 0, "orders": 1 if (price or quantity) else 0}
    return levels


def _quote(token: int, minute: datetime, last: float, **fields: Any) -> QuoteDict:
    """A 17-field Kite quote; what collection reads of it is exactly what was stored."""
    close = fields.get("close_price")
    return {
        "instrument_token": token,
        "timestamp": _naive_ist(minute),
        "last_trade_time": _naive_ist(fields.get("last_trade_time")),
        "last_price": last,
        "last_quantity": 0,
        "buy_quantity": fields.get("bid_qty") or 0,
        "sell_quantity": fields.get("ask_qty") or 0,
        "volume": fields.get("volume") or 0,
        "average_price": fields.get("average_price") or 0.0,
        "oi": fields.get("oi") or 0,
        "oi_day_high": fields.get("oi_day_high") or 0,
        "oi_day_low": fields.get("oi_day_low") or 0,
        "net_change": 0.0 if close is None else last - close,
        "lower_circuit_limit": 0.0,
        "upper_circuit_limit": 0.0,
        "ohlc": {"open": 0.0, "high": 0.0, "low": 0.0, "close": close or 0.0},
        "depth": {
            "buy": _depth(fields.get("bid"), fields.get("bid_qty")),
            "sell": _depth(fields.get("ask"), fields.get("ask_qty")),
        },
    }


def _instrument_rows(*, alias: str, day: date, underlyings: Sequence[Underlying]) -> list[InstrumentRow]:
    """The dump as collection saw it that day: every row without an expiry (indices, stocks), each underlying's
    options of the expiries collected that day (every strike of them: the ATM offsets count listed strikes) and
    the futures quoted that day. The bucket of an expiry comes out the same from these as from that day's whole
    listing (a monthly is the last expiry of its month, and the monthlies in the buckets were collected); the
    archive's own instrument table cannot say what was listed then, as later syncs deactivate what expired."""
    lo, hi = ist_day_bounds(day)
    ids = [u.id for u in underlyings]
    wanted = Q(expiry__isnull=True)
    options = OptionQuote.objects.using(alias).filter(
        minute__gte=lo, minute__lt=hi, underlying_id__in=ids, source__in=LIVE_SOURCES
    )
    for underlying_id, expiry in options.order_by().values_list("underlying_id", "expiry").distinct():
        wanted |= Q(
            underlying_id=underlying_id, expiry=expiry, instrument_type__in=[InstrumentType.CE, InstrumentType.PE]
        )
    heads = UnderlyingQuote.objects.using(alias).filter(minute__gte=lo, minute__lt=hi, underlying_id__in=ids)
    futures = {(u, e) for u, quoted in heads.values_list("underlying_id", "futures") for e in quoted}
    for underlying_id, expiry_text in futures:
        wanted |= Q(
            underlying_id=underlying_id, expiry=date.fromisoformat(expiry_text), instrument_type=InstrumentType.FUT
        )
    rows = Instrument.objects.using(alias).filter(wanted)
    return [
        {
            "instrument_token": i.instrument_token,
            "exchange_token": i.exchange_token,
            "tradingsymbol": i.tradingsymbol,
            "name": i.name,
            "last_price": 0.0,
            "expiry": i.expiry or "",
            "strike": i.strike,
            "tick_size": i.tick_size,
            "lot_size": i.lot_size,
            "instrument_type": i.instrument_type,
            "segment": i.segment,
            "exchange": i.exchange,
        }
        for i in rows.order_by("exchange", "tradingsymbol")
    ]


OPTION_FIELDS = legs.BROKER_QUOTE


def _quotes_reader(
    *, alias: str, underlyings: Sequence[Underlying], day: date
) -> Callable[[datetime], dict[str, QuoteDict]]:
    ids = [u.id for u in underlyings]
    by_id = {u.id: u for u in underlyings}
    futures: dict[tuple[int, date], tuple[str, int]] = {}
    for i in (
        Instrument.objects.using(alias)
        .filter(underlying_id__in=ids, instrument_type=InstrumentType.FUT, expiry__gte=day)
        .order_by("exchange")
    ):
        assert i.expiry is not None and i.underlying_id is not None
        futures.setdefault((i.underlying_id, i.expiry), (i.key, i.instrument_token))

    def quotes_at(minute: datetime) -> dict[str, QuoteDict]:
        out: dict[str, QuoteDict] = {}
        heads = UnderlyingQuote.objects.using(alias).filter(
            minute=minute, underlying_id__in=ids, source__in=LIVE_SOURCES
        )
        for head in heads:
            underlying = by_id[head.underlying_id]
            out[underlying.spot_key] = _quote(underlying.spot_token, minute, head.spot, close_price=head.spot_close)
            if head.vix is not None:
                out[VIX_KEY] = _quote(264969, minute, head.vix)
            futures_oi = head.futures_oi or {}
            for expiry_text, price in head.futures.items():
                future = futures.get((head.underlying_id, date.fromisoformat(expiry_text)))
                if future is not None:
                    out[future[0]] = _quote(future[1], minute, float(price), oi=futures_oi.get(expiry_text))
        rows = OptionQuote.objects.using(alias).filter(minute=minute, underlying_id__in=ids, source__in=LIVE_SOURCES)
        for row in rows.values(
            "instrument__exchange", "instrument__tradingsymbol", "instrument__instrument_token", *OPTION_FIELDS
        ):
            key = f"{row['instrument__exchange']}:{row['instrument__tradingsymbol']}"
            fields = {name: row[name] for name in OPTION_FIELDS}
            out[key] = _quote(
                row["instrument__instrument_token"], minute, **{"last": fields.pop("last_price"), **fields}
            )
        return out

    return quotes_at


def replay_day_load(*, day: date, symbols: Sequence[str] | None, alias: str = "default") -> tuple[ReplayDay, list[str]]:
    """The archived day as a replay broker serves it, and the symbols it holds; errors before any work."""
    found = Underlying.objects.using(alias)
    if symbols:
        wanted = [s.strip().upper() for s in symbols]
        known = {u.symbol: u for u in found.filter(symbol__in=wanted)}
        unknown = [s for s in wanted if s not in known]
        if unknown:
            names = ", ".join(found.order_by("symbol").values_list("symbol", flat=True)) or "none loaded"
            raise NotFoundError(f"Unknown underlying {', '.join(unknown)}; known: {names}.")
        underlyings = [known[s] for s in wanted]
    else:
        underlyings = list(found.filter(active=True).order_by("display_order", "symbol"))
    lo, hi = ist_day_bounds(day)
    heads = UnderlyingQuote.objects.using(alias).filter(
        minute__gte=lo, minute__lt=hi, underlying__in=underlyings, source__in=LIVE_SOURCES
    )
    with_data = set(heads.values_list("underlying_id", flat=True).distinct())
    empty = [u.symbol for u in underlyings if u.id not in with_data]
    if symbols and empty:
        raise NotFoundError(
            f"No collected quotes are stored for {', '.join(empty)} on {day:%Y-%m-%d}; nothing to replay."
        )
    underlyings = [u for u in underlyings if u.id in with_data]
    if not underlyings:
        which = ", ".join(s.upper() for s in symbols) if symbols else "any underlying"
        raise NotFoundError(f"No collected quotes are stored for {which} on {day:%Y-%m-%d}; nothing to replay.")
    minutes = sorted(set(heads.filter(underlying__in=underlyings).values_list("minute", flat=True)))
    replay = ReplayDay(
        day=day,
        instruments=_instrument_rows(alias=alias, day=day, underlyings=underlyings),
        minutes=[m.astimezone(UTC) for m in minutes],
        quotes_at=_quotes_reader(alias=alias, underlyings=underlyings, day=day),
    )
    return replay, [u.symbol for u in underlyings]


def target_config(url: str) -> dict[str, Any]:
    """Connection settings for ``--into``: a PostgreSQL URL, refused before any work when it is not one."""
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises a bare exception type for unknown schemes
        raise ApplicationError(f"--into {url!r} is not a database URL: {exc}") from exc
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ApplicationError(f"--into must be a PostgreSQL URL (postgres://...), got {url!r}.")
    return config


@contextmanager
def database_switched(config: dict[str, Any]) -> Iterator[None]:
    """``default`` points at ``config`` inside; the original database is reachable as alias ``replay_source``
    (created here unless configured, as the tests' mirror of their database). Restored on the way out."""
    default = connections["default"]
    original = default.settings_dict
    created = SOURCE not in connections.settings
    if created:
        connections.settings[SOURCE] = dict(original)
    default.close()
    default.settings_dict = {
        **original,
        **{key: config[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT") if key in config},
    }
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        default.close()
        default.settings_dict = original
        connections[SOURCE].close()
        if created:
            del connections[SOURCE]
            del connections.settings[SOURCE]
        ContentType.objects.clear_cache()


def _same_database(config: dict[str, Any]) -> bool:
    current = connections["default"].settings_dict
    return all(str(current.get(k) or "") == str(config.get(k) or "") for k in ("NAME", "HOST", "PORT"))


def _raw_symbols(replay: ReplayDay, symbols: Sequence[str] | None) -> list[str]:
    """The named underlyings (each must be a collectable one), else those whose index the first minute holds."""
    specs = underlying_specs()
    if symbols:
        wanted = [s.strip().upper() for s in symbols]
        unknown = [s for s in wanted if s not in specs]
        if unknown:
            raise NotFoundError(f"Unknown underlying {', '.join(unknown)}; known: {', '.join(sorted(specs))}.")
        return wanted
    first = replay.quotes_at(replay.minutes[0])
    return [s.symbol for s in specs.values() if f"{s.exchange}:{s.spot_tradingsymbol}" in first]


def replay_run(
    *,
    day: date,
    speed: float,
    into: str | None,
    symbols: Sequence[str] | None = None,
    raw: bool = False,
    progress: Callable[[int, int, datetime], None] | None = None,
) -> ReplayResult:
    """Replay ``day`` at ``speed`` market minutes per wall-clock minute (0: as fast as it goes): from this
    database's stored quotes into the database at ``into`` (migrated first), or with ``raw`` from the raw archive
    (``OPTRADING_ARCHIVE_DIR/raw``) into ``into`` or, without it, this database."""
    if speed < 0:
        raise ApplicationError(f"--speed must be 0 (as fast as possible) or positive, got {speed}.")
    config = target_config(into) if into is not None else None
    if config is not None and _same_database(config):
        raise ApplicationError("--into names the database the day is replayed from; give another (empty) database.")
    if raw:
        root = raw_root(settings.OPTRADING_ARCHIVE_DIR)
        replay = raw_day_read(root=root, day=day)
        if replay is None:
            raise NotFoundError(f"No raw archive of {day:%Y-%m-%d} under {root}; nothing to replay.")
        if not replay.instruments:
            raise NotFoundError(f"No instruments dump in the raw archive under {root}; nothing to replay.")
        replayed = _raw_symbols(replay, symbols)
        if config is None:
            return _feed(replay, replayed, speed=speed, progress=progress)
        with database_switched(config):
            call_command("migrate", verbosity=0, interactive=False)
            return _feed(replay, replayed, speed=speed, progress=progress)
    if config is None:
        raise ApplicationError(
            "Replaying the stored quotes needs --into (this database already holds the day); "
            "--raw replays the raw archive into this database."
        )
    replay_day_load(day=day, symbols=symbols)  # validates: the day and the symbols exist, before any write
    with database_switched(config):
        call_command("migrate", verbosity=0, interactive=False)
        replay, replayed = replay_day_load(day=day, symbols=symbols, alias=SOURCE)
        return _feed(replay, replayed, speed=speed, progress=progress)


def _feed(
    replay: ReplayDay,
    symbols: list[str],
    *,
    speed: float,
    progress: Callable[[int, int, datetime], None] | None,
) -> ReplayResult:
    last = last_collected_minute()
    if last is not None and last >= replay.minutes[0]:
        raise ApplicationError(
            f"The target database already holds collected minutes up to {ist_label(last)}, not before the replayed "
            f"day's first ({ist_label(replay.minutes[0])}); replay into an empty database."
        )
    underlyings_load()
    Underlying.objects.exclude(symbol__in=symbols).update(active=False)
    Underlying.objects.filter(symbol__in=symbols).update(active=True)
    broker = ReplayBroker(replay)
    instruments_sync(broker=broker, today=replay.listed_on or replay.day)
    ids = list(Underlying.objects.filter(symbol__in=symbols).values_list("id", flat=True))
    collected = stored = 0
    skipped: list[str] = []
    pace = 60.0 / speed if speed > 0 else 0.0
    for number, minute in enumerate(replay.minutes, start=1):
        started = time.monotonic()
        outcome = minute_collect(now=datetime.now(IST), broker=broker, underlyings=symbols)
        if outcome.run is None:
            skipped.append(f"{ist_label(minute)}: {outcome.skipped}")
        else:
            collected += 1
            stored += outcome.run.quotes_stored
        analytics_compute(underlying_ids=ids)
        if progress is not None:
            progress(number, len(replay.minutes), minute)
        wait = pace - (time.monotonic() - started)
        if wait > 0:
            time.sleep(wait)
    return ReplayResult(
        day=replay.day,
        symbols=symbols,
        minutes=len(replay.minutes),
        collected=collected,
        options_stored=stored,
        skipped=skipped,
    )
