"""Websocket publishing: group names, the versioned payloads, and the receivers that publish after commit.

The collection service sends ``collection_committed`` and analytics sends ``analytics_committed`` from
``transaction.on_commit``; the receivers here read the committed rows once and ``group_send`` them. Consumers
(``apps.live.consumers``) keep what each client last received and forward only the rows that changed,
so the database is read once per minute per underlying however many clients watch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, TypedDict, cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from apps.analytics.models import ChainSnapshot
from apps.analytics.selectors.chain import SUMMARY_FIELDS as SNAPSHOT_SUMMARY_FIELDS
from apps.analytics.signals import analytics_committed
from apps.collection.signals import collection_committed
from apps.core.embedded import run_on_server_loop
from apps.live.presence import groups_watched
from apps.market.choices import ExpiryBucket
from apps.market.models import Underlying
from apps.marketdata import legs
from apps.marketdata.models import OptionQuote
from apps.marketdata.selectors import chain_expiries_at, chain_expiry_for_bucket, chain_minute_at, chain_quotes

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1

# The published summary: the snapshot's stored analytics less the bookkeeping fields.
_NOT_PUBLISHED = {"t_years", "strike_count", "atm_strike_spot"}
SUMMARY_FIELDS = ("expiry", "expiry_bucket", *(f for f in SNAPSHOT_SUMMARY_FIELDS if f not in _NOT_PUBLISHED))


def chain_group(*, symbol: str, bucket: str) -> str:
    """The group of clients watching one underlying's chain in one expiry bucket, e.g. ``chain.NIFTY.this_week``."""
    return f"chain.{symbol}.{bucket}"


def analytics_group(*, symbol: str) -> str:
    return f"analytics.{symbol}"


class ChainRow(TypedDict):
    key: str
    """``<expiry>:<strike>:<CE|PE>``: stable across minutes, so clients update rows in place."""
    tradingsymbol: str
    expiry: str
    strike: float
    option_type: str
    strike_offset: int
    last_price: float
    average_price: float | None
    close_price: float | None
    change: float | None
    volume: int
    oi: int
    oi_change: int | None
    bid: float | None
    ask: float | None
    iv: float | None
    delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    buildup: str


class ChainMessage(TypedDict):
    """The whole chain of one bucket at one minute, as sent to the group (never to a browser)."""

    type: Literal["chain.update"]
    version: int
    symbol: str
    bucket: str
    minute: str
    spot: float | None
    forward: float | None
    atm_strike: float | None
    rows: list[ChainRow]


class ChainUpdate(TypedDict):
    """What a client receives: the rows that changed since its last message (all rows when ``full``)."""

    type: Literal["chain.update"]
    version: int
    symbol: str
    bucket: str
    minute: str
    spot: float | None
    forward: float | None
    atm_strike: float | None
    full: bool
    rows: list[ChainRow]
    removed: list[str]


class ExpirySummary(TypedDict):
    """One expiry's chain analytics at the minute (analytics' ChainSnapshot); ratios and IVs are decimals."""

    expiry: str
    bucket: str
    spot: float
    forward: float
    forward_source: str
    atm_strike: float | None
    atm_iv: float | None
    straddle: float | None
    expected_move: float | None
    pcr_oi: float | None
    pcr_volume: float | None
    pcr_oi_change: float | None
    max_pain: float | None
    rr25: float | None
    bf25: float | None
    call_oi_wall: float | None
    put_oi_wall: float | None
    net_gex: float | None
    total_call_oi: int
    total_put_oi: int
    sentiment: str
    sentiment_score: int
    buildup_counts: dict[str, int]


class AnalyticsSummary(TypedDict):
    type: Literal["analytics.summary"]
    version: int
    symbol: str
    minute: str
    expiries: list[ExpirySummary]


class HealthMessage(TypedDict):
    """The system page's live state: component health with heartbeats, open errors, the latest alert deliveries
    and the latest quality scores (``apps.live.system``)."""

    type: Literal["system.health"]
    version: int
    health: dict[str, Any]
    errors: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    quality: list[dict[str, Any]]


class ErrorMessage(TypedDict):
    type: Literal["error"]
    version: int
    code: int
    error: str


def _row(quote: OptionQuote) -> ChainRow:
    """One leg as the feed sends it: its key and contract, then the leg columns of ``legs.CHAIN``."""
    close = quote.close_price
    row: dict[str, Any] = {
        "key": f"{quote.expiry.isoformat()}:{quote.strike:g}:{quote.option_type}",
        "tradingsymbol": quote.instrument.tradingsymbol,
        "expiry": quote.expiry.isoformat(),
        "strike": quote.strike,
        "option_type": quote.option_type,
        "strike_offset": quote.strike_offset,
        "close_price": close,
        "change": round(quote.last_price - close, 2) if close is not None else None,
        **{name: getattr(quote, name) for name in legs.CHAIN},
    }
    return cast(ChainRow, row)


def _message(*, symbol: str, bucket: str, minute: datetime, quotes: list[OptionQuote]) -> ChainMessage:
    atm = next((q.strike for q in quotes if q.strike_offset == 0), None)
    first = quotes[0] if quotes else None
    return ChainMessage(
        type="chain.update",
        version=PAYLOAD_VERSION,
        symbol=symbol,
        bucket=bucket,
        minute=minute.isoformat(),
        spot=first.spot if first else None,
        forward=first.forward if first else None,
        atm_strike=atm,
        rows=[_row(q) for q in quotes],
    )


def chain_messages_build(*, underlying: Underlying, minute: datetime) -> list[ChainMessage]:
    """One message per expiry bucket collected for ``underlying`` at ``minute``: a bucket's nearest expiry."""
    messages: dict[str, ChainMessage] = {}
    for expiry in chain_expiries_at(underlying=underlying, minute=minute):
        quotes = chain_quotes(underlying=underlying, expiry=expiry, minute=minute)
        bucket = quotes[0].expiry_bucket if quotes else None
        if bucket and bucket not in messages:
            messages[bucket] = _message(symbol=underlying.symbol, bucket=bucket, minute=minute, quotes=quotes)
    return list(messages.values())


def chain_latest_build(*, underlying: Underlying, bucket: str) -> ChainMessage | None:
    """The latest archived chain of one bucket, sent to a client when it connects; None when there is none."""
    minute = chain_minute_at(underlying=underlying, at=timezone.now())
    expiry = chain_expiry_for_bucket(underlying=underlying, bucket=bucket, minute=minute) if minute else None
    if minute is None or expiry is None:
        return None
    quotes = chain_quotes(underlying=underlying, expiry=expiry, minute=minute)
    return _message(symbol=underlying.symbol, bucket=bucket, minute=minute, quotes=quotes)


def _group_send(group: str, message: Any) -> None:
    """group_send from synchronous code. Embedded, the in-memory layer lives on the web server's
    event loop, so the worker thread hands the send to that loop instead of a private one."""
    layer = get_channel_layer()
    if not run_on_server_loop(layer.group_send(group, message)):
        async_to_sync(layer.group_send)(group, message)


def chain_publish(*, underlying_ids: Iterable[int], minute: datetime) -> int:
    """Send each underlying's chain at ``minute`` to its bucket groups; returns the number of messages sent.

    An underlying none of whose bucket groups has a member is not read at all: with no client watching,
    publishing costs one membership check."""
    send = _group_send
    sent = 0
    for underlying in Underlying.objects.filter(pk__in=list(underlying_ids)):
        groups = {chain_group(symbol=underlying.symbol, bucket=bucket) for bucket in ExpiryBucket.values}
        watched = groups_watched(sorted(groups))
        if not watched:
            continue
        for message in chain_messages_build(underlying=underlying, minute=minute):
            group = chain_group(symbol=underlying.symbol, bucket=message["bucket"])
            if group in watched:
                send(group, message)
                sent += 1
    return sent


def analytics_summary_build(*, underlying: Underlying, minute: datetime) -> AnalyticsSummary:
    """Every expiry analysed for ``underlying`` at ``minute``, nearest first (one query)."""
    snapshots = ChainSnapshot.objects.filter(underlying=underlying, minute=minute).order_by("expiry")
    expiries = [
        ExpirySummary(
            expiry=values["expiry"].isoformat(),
            bucket=values["expiry_bucket"],
            **{name: values[name] for name in SUMMARY_FIELDS if name not in ("expiry", "expiry_bucket")},  # type: ignore[typeddict-item]
        )
        for values in snapshots.values(*SUMMARY_FIELDS)
    ]
    return AnalyticsSummary(
        type="analytics.summary",
        version=PAYLOAD_VERSION,
        symbol=underlying.symbol,
        minute=minute.isoformat(),
        expiries=expiries,
    )


def analytics_publish(*, underlying_id: int, minute: datetime) -> None:
    """After analytics: the chain again (IV, greeks and build-up are now filled), then the chain summary;
    each only when a client watches it."""
    underlying = Underlying.objects.get(pk=underlying_id)
    chains = [chain_group(symbol=underlying.symbol, bucket=bucket) for bucket in ExpiryBucket.values]
    summary_group = analytics_group(symbol=underlying.symbol)
    watched = groups_watched([*chains, summary_group])
    if watched.intersection(chains):
        chain_publish(underlying_ids=[underlying_id], minute=minute)
    if summary_group in watched:
        _group_send(summary_group, analytics_summary_build(underlying=underlying, minute=minute))


def _on_collection_committed(
    sender: object, *, run_id: int, minute: datetime, underlying_ids: Iterable[int], **kwargs: object
) -> None:
    try:
        chain_publish(underlying_ids=underlying_ids, minute=minute)
    except Exception:  # receivers must not raise: the rows are committed, a lost update heals next minute
        logger.exception("publishing the chain of run %s failed", run_id)


def _on_analytics_committed(sender: object, *, underlying_id: int, minute: datetime, **kwargs: object) -> None:
    try:
        analytics_publish(underlying_id=underlying_id, minute=minute)
    except Exception:  # as above
        logger.exception("publishing analytics of underlying %s at %s failed", underlying_id, minute)


def receivers_connect() -> None:
    """Called once from ``WebConfig.ready``; ``dispatch_uid`` makes repeated calls harmless."""
    collection_committed.connect(_on_collection_committed, dispatch_uid="marketdata.publisher.collection")
    analytics_committed.connect(_on_analytics_committed, dispatch_uid="marketdata.publisher.analytics")
