"""One collection run: every active underlying's chain for one market minute, stored idempotently.

Flow: quote spots, VIX and futures (one call) → plan contracts per underlying (buckets, forward,
ATM, strike offsets or the full chain) → quote the options in batches of ≤ 500 keys, paced by the
broker's rate limiter → store all complete underlyings in one transaction → after commit, chain
analytics and tell the publishers. One underlying failing loses nothing of the others.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.analytics.tasks import analytics_compute_task
from apps.brokers.base import Broker, BrokerError, QuoteDict, SessionRequiredError, get_broker, quote_batches
from apps.collection.services.plan import Contract, Future, UnderlyingPlan, plan_underlying
from apps.collection.services.quote_fields import quote_fields
from apps.collection.signals import collection_committed
from apps.core.errors import ApplicationError
from apps.market.clock import to_ist
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.market.strikes import parse_offsets
from apps.marketdata.models import CollectionRun, CollectionStatus, QuoteSource, UnderlyingQuote
from apps.marketdata.services.quote_store import quotes_store
from apps.monitoring.metrics import record_broker_error, record_collection
from apps.monitoring.services import error_record

logger = logging.getLogger(__name__)

VIX_KEY = "NSE:INDIA VIX"


@dataclass(frozen=True)
class CollectionSettings:
    scope: str
    offsets: list[int]
    full_pct: float
    full_expiries: int
    rate: float

    @classmethod
    def from_settings(cls) -> CollectionSettings:
        """Validated settings; a malformed value is an error that names the variable."""
        scope = settings.OPTRADING_CHAIN_SCOPE
        if scope not in {"atm", "full"}:
            raise ApplicationError(f"OPTRADING_CHAIN_SCOPE={scope!r} is not a scope; use 'atm' or 'full'.")
        try:
            offsets = parse_offsets(settings.OPTRADING_STRIKE_OFFSETS)
        except ValueError as exc:
            raise ApplicationError(f"OPTRADING_STRIKE_OFFSETS: {exc}") from exc
        if not 0 < settings.OPTRADING_FULL_CHAIN_PCT <= 50:
            raise ApplicationError("OPTRADING_FULL_CHAIN_PCT must be between 0 and 50 (percent of the forward).")
        if not 1 <= settings.OPTRADING_FULL_CHAIN_EXPIRIES <= 20:
            raise ApplicationError("OPTRADING_FULL_CHAIN_EXPIRIES must be between 1 and 20.")
        return cls(
            scope=scope,
            offsets=offsets,
            full_pct=float(settings.OPTRADING_FULL_CHAIN_PCT),
            full_expiries=int(settings.OPTRADING_FULL_CHAIN_EXPIRIES),
            rate=float(settings.OPTRADING_RISK_FREE_RATE),
        )


@dataclass
class _Outcome:
    """What happened to one underlying during a run."""

    plan: UnderlyingPlan | None = None
    error: str = ""
    missing: list[str] = field(default_factory=list)


def underlyings_resolve(symbols: Sequence[str] | None) -> list[Underlying]:
    """Active underlyings, or the named ones; an unknown symbol is an error naming it."""
    if not symbols:
        return list(Underlying.objects.filter(active=True).select_related("spot_instrument"))
    wanted = [s.strip().upper() for s in symbols]
    found = {u.symbol: u for u in Underlying.objects.filter(symbol__in=wanted).select_related("spot_instrument")}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        known = ", ".join(Underlying.objects.order_by("symbol").values_list("symbol", flat=True)) or "none loaded"
        raise ApplicationError(f"Unknown underlying {', '.join(unknown)}; known: {known}.", status_code=404)
    return [found[s] for s in wanted]


def last_collected_minute() -> datetime | None:
    return UnderlyingQuote.objects.filter(source=QuoteSource.COLLECTED).aggregate(m=Max("minute"))["m"]


def chain_collect(
    *,
    broker: Broker | None = None,
    underlyings: Sequence[str] | None = None,
    now: datetime | None = None,
    minute: datetime | None = None,
    source: str = QuoteSource.COLLECTED,
) -> CollectionRun:
    """Collect one market minute for the given (default: all active) underlyings.

    ``minute`` re-collects a given minute (the simulated market can price any minute); by default
    the broker decides (a live broker: the current minute; the simulated one: the next minute).
    ``source`` marks the stored rows: ``collected`` for quote calls, ``ticker`` when the broker
    answers from the live tick stream (``kite_ticker``). Whichever source stores an instrument's
    minute first keeps it.
    """
    config = CollectionSettings.from_settings()
    targets = underlyings_resolve(underlyings)
    broker = broker or get_broker()
    now = now or timezone.now()
    started = time.monotonic()
    if minute is None:
        minute = broker.collection_minute(last_collected=last_collected_minute(), now=now)
    run = CollectionRun.objects.create(
        started_at=timezone.now(),
        minute=minute,
        broker=broker.name,
        underlyings=[u.symbol for u in targets],
    )
    ready, reason = broker.ready()
    if not ready:
        return _finish(run, started, status=CollectionStatus.SKIPPED, error=reason)
    if not targets:
        return _finish(run, started, status=CollectionStatus.SKIPPED, error="No active underlyings.")

    outcomes: dict[str, _Outcome] = {u.symbol: _Outcome() for u in targets}
    quotes: dict[str, QuoteDict] = {}
    failed_keys: set[str] = set()
    try:
        contracts, futures_by_underlying = _listed_contracts(targets, today=to_ist(minute).date())
        head_keys = [u.spot_key for u in targets] + [VIX_KEY]
        head_keys += [f.key for futs in futures_by_underlying.values() for f in futs]
        quotes.update(_quote_all(broker, head_keys, minute=minute, run=run, failed_keys=failed_keys))
        for underlying in targets:
            outcome = outcomes[underlying.symbol]
            try:
                outcome.plan = _plan(underlying, contracts, futures_by_underlying, quotes, minute, config)
            except (ValueError, KeyError, ZeroDivisionError) as exc:
                outcome.error = f"planning failed: {exc}"
        option_keys = [k for o in outcomes.values() if o.plan for k in o.plan.keys]
        run.instruments_requested = len(head_keys) + len(option_keys)
        quotes.update(_quote_all(broker, option_keys, minute=minute, run=run, failed_keys=failed_keys))
    except SessionRequiredError as exc:
        _record_broker_error(exc)
        return _finish(run, started, status=CollectionStatus.FAILED, error=str(exc))

    index = {c.key: c for chain in contracts.values() for c in chain}
    option_rows: list[dict[str, Any]] = []
    underlying_rows: list[dict[str, Any]] = []
    for underlying in targets:
        outcome = outcomes[underlying.symbol]
        if outcome.plan is None:
            continue
        keys = outcome.plan.keys
        if failed_keys.intersection(keys):
            outcome.error = "a quote call for its contracts failed; nothing stored for it this minute"
            continue
        outcome.missing = [k for k in keys if k not in quotes]
        option_rows += _option_rows(underlying, outcome.plan, quotes, index, minute, source)
        vix = (quotes.get(VIX_KEY) or {}).get("last_price")
        underlying_rows.append(
            {
                "minute": minute,
                "underlying_id": underlying.pk,
                "spot": outcome.plan.spot,
                "spot_close": outcome.plan.spot_close,
                "future": outcome.plan.future,
                "future_expiry": outcome.plan.future_expiry,
                "futures": {expiry.isoformat(): price for expiry, price in outcome.plan.futures.items()},
                "futures_oi": {expiry.isoformat(): oi for expiry, oi in outcome.plan.futures_oi.items()},
                "vix": None if vix is None else float(vix),
                "source": source,
            }
        )

    stored_ids = [row["underlying_id"] for row in underlying_rows]
    with transaction.atomic():
        result = quotes_store(options=option_rows, underlyings=underlying_rows)  # the first writer keeps a minute
        run.instruments_received = sum(1 for k in quotes if k not in failed_keys)
        run.instruments_missing = sum(len(o.missing) for o in outcomes.values())
        run.quotes_stored = result.options_stored
        run.details = {
            symbol: {
                "error": o.error,
                "missing": o.missing[:50],
                "missing_count": len(o.missing),
                # The contracts the plan asked for: the data-quality score counts missing strikes against it.
                "planned": len(o.plan.keys) if o.plan else 0,
            }
            for symbol, o in outcomes.items()
        }
        failed = [s for s, o in outcomes.items() if o.error or o.plan is None]
        if not failed:
            status = CollectionStatus.SUCCESS
        elif len(failed) < len(outcomes):
            status = CollectionStatus.PARTIAL
        else:
            status = CollectionStatus.FAILED
        error = "; ".join(f"{s}: {outcomes[s].error or 'no plan'}" for s in failed)
        run = _finish(run, started, status=status, error=error)
        if stored_ids:
            transaction.on_commit(lambda: _after_commit(run, stored_ids))
    return run


def _listed_contracts(
    targets: Sequence[Underlying], *, today: date
) -> tuple[dict[int, list[Contract]], dict[int, list[Future]]]:
    rows = Instrument.objects.filter(
        underlying__in=targets,
        active=True,
        expiry__gte=today,
        instrument_type__in=[InstrumentType.CE, InstrumentType.PE, InstrumentType.FUT],
    ).values_list("id", "exchange", "tradingsymbol", "expiry", "strike", "instrument_type", "underlying_id")
    contracts: dict[int, list[Contract]] = defaultdict(list)
    futures: dict[int, list[Future]] = defaultdict(list)
    for pk, exchange, symbol, expiry, strike, kind, underlying_id in rows:
        key = f"{exchange}:{symbol}"
        assert expiry is not None  # filtered on expiry__gte
        if kind == InstrumentType.FUT:
            futures[underlying_id].append(Future(key=key, expiry=expiry))
        else:
            contracts[underlying_id].append(Contract(pk, key, expiry, float(strike), kind))
    for futs in futures.values():
        futs.sort(key=lambda f: f.expiry)
        del futs[3:]
    return contracts, futures


def _plan(
    underlying: Underlying,
    contracts: dict[int, list[Contract]],
    futures_by_underlying: dict[int, list[Future]],
    quotes: dict[str, QuoteDict],
    minute: datetime,
    config: CollectionSettings,
) -> UnderlyingPlan:
    spot_quote = quotes.get(underlying.spot_key)
    if not spot_quote or not spot_quote.get("last_price"):
        raise KeyError(f"no quote for the index {underlying.spot_key}")
    futures = {
        f.expiry: float(quotes[f.key]["last_price"])
        for f in futures_by_underlying.get(underlying.pk, [])
        if f.key in quotes and quotes[f.key].get("last_price")
    }
    if not contracts.get(underlying.pk):
        raise KeyError("no listed options; run sync_instruments")
    plan = plan_underlying(
        contracts=contracts[underlying.pk],
        spot=float(spot_quote["last_price"]),
        spot_close=float((spot_quote.get("ohlc") or {}).get("close") or 0) or None,
        futures=futures,
        minute=minute,
        today=to_ist(minute).date(),
        has_weeklies=underlying.has_weeklies,
        rate=config.rate,
        scope=config.scope,
        offsets=config.offsets,
        full_pct=config.full_pct,
        full_expiries=config.full_expiries,
    )
    plan.futures_oi = {
        f.expiry: int(quotes[f.key].get("oi") or 0)
        for f in futures_by_underlying.get(underlying.pk, [])
        if f.expiry in futures
    }
    return plan


def _quote_all(
    broker: Broker, keys: Sequence[str], *, minute: datetime, run: CollectionRun, failed_keys: set[str]
) -> dict[str, QuoteDict]:
    """Quotes for every key; a failed batch's keys go to ``failed_keys`` (the broker already retried
    transient errors). A missing session stops the run."""
    result: dict[str, QuoteDict] = {}
    for batch in quote_batches(keys):
        run.quote_calls += 1
        try:
            result.update(broker.quote(batch, minute=minute))
        except SessionRequiredError:
            raise
        except BrokerError as exc:
            _record_broker_error(exc)
            failed_keys.update(batch)
    return result


def _option_rows(
    underlying: Underlying,
    plan: UnderlyingPlan,
    quotes: dict[str, QuoteDict],
    index: dict[str, Contract],
    minute: datetime,
    source: str,
) -> list[dict[str, Any]]:
    """Plain rows for the quote store's bulk path (no model instances: they were a third of the store)."""
    rows: list[dict[str, Any]] = []
    underlying_id = underlying.pk
    for expiry in plan.expiries:
        for contract, offset in expiry.contracts:
            quote = quotes.get(contract.key)
            if quote is None:  # missing: recorded in the run's details, never stored as zero
                continue
            fields = quote_fields(quote)
            rows.append(
                {
                    "minute": minute,
                    "instrument_id": index[contract.key].instrument_id,
                    "underlying_id": underlying_id,
                    "expiry": contract.expiry,
                    "strike": contract.strike,
                    "option_type": contract.option_type,
                    "expiry_bucket": expiry.bucket,
                    "strike_offset": offset,
                    "source": source,
                    "last_price": fields.last_price,
                    "average_price": fields.average_price,
                    "close_price": fields.close_price,
                    "volume": fields.volume,
                    "oi": fields.oi,
                    "oi_day_high": fields.oi_day_high,
                    "oi_day_low": fields.oi_day_low,
                    "bid": fields.bid,
                    "bid_qty": fields.bid_qty,
                    "ask": fields.ask,
                    "ask_qty": fields.ask_qty,
                    "last_trade_time": fields.last_trade_time,
                    "spot": plan.spot,
                    "forward": expiry.forward,
                }
            )
    return rows


def _finish(run: CollectionRun, started: float, *, status: str, error: str = "") -> CollectionRun:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save()
    record_collection(run)
    return run


def _record_broker_error(exc: BrokerError) -> None:
    logger.warning("broker error %s: %s", exc.code, exc)
    record_broker_error(exc.code)
    error_record(component="broker", code=exc.code, message=str(exc), suggestion=exc.suggestion)


def _after_commit(run: CollectionRun, underlying_ids: list[int]) -> None:
    """Chain the analytics and tell the live feeds; neither may break collection."""
    try:
        # ``minute`` lets analytics revisit a minute it already passed: the other source may have
        # stored the rest of this minute's chain first.
        minute = run.minute.isoformat() if run.minute else None
        analytics_compute_task.delay(underlying_ids=underlying_ids, minute=minute)
    except Exception:  # the Celery broker being down must not lose the collected rows
        logger.exception("could not enqueue analytics after run %s", run.pk)
    collection_committed.send_robust(
        sender=CollectionRun, run_id=run.pk, minute=run.minute, underlying_ids=underlying_ids
    )
