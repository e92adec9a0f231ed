"""Reads of the minute archive: latest spots, the chain as it was at a minute, runs, and day exports.

Every function takes aware datetimes and returns plain data; "as it was at ``at``" always means the
latest archived minute at or before ``at``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict

from django.db.models import OuterRef, QuerySet, Subquery

from apps.market.clock import ist_day_bounds, to_ist
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.marketdata import legs
from apps.marketdata.models import CollectionRun, OptionQuote, UnderlyingQuote


@dataclass(frozen=True)
class UnderlyingSpot:
    underlying: Underlying
    quote: UnderlyingQuote | None

    @property
    def change(self) -> float | None:
        if self.quote is None or self.quote.spot_close is None:
            return None
        return self.quote.spot - self.quote.spot_close

    @property
    def change_pct(self) -> float | None:
        change = self.change
        if change is None or not self.quote or not self.quote.spot_close:
            return None
        return change / self.quote.spot_close * 100


def underlying_list_with_spot(*, active_only: bool = True) -> list[UnderlyingSpot]:
    """Each underlying with its latest archived spot quote, in two queries whatever the count."""
    latest = UnderlyingQuote.objects.filter(underlying=OuterRef("pk")).order_by("-minute").values("pk")[:1]
    underlyings = Underlying.objects.all()
    if active_only:
        underlyings = underlyings.filter(active=True)
    rows = list(underlyings.annotate(latest_quote_id=Subquery(latest)))
    quote_ids = [row.latest_quote_id for row in rows if row.latest_quote_id is not None]
    quotes = UnderlyingQuote.objects.in_bulk(quote_ids) if quote_ids else {}
    return [UnderlyingSpot(underlying=row, quote=quotes.get(row.latest_quote_id)) for row in rows]


class SpotPoint(TypedDict):
    minute: str
    """IST, ISO 8601."""
    spot: float


def spot_path(*, underlying: Underlying, start: datetime, end: datetime) -> list[SpotPoint]:
    """The spot at each archived minute in [start, end], oldest first."""
    rows = UnderlyingQuote.objects.filter(underlying=underlying, minute__gte=start, minute__lte=end).order_by("minute")
    return [
        SpotPoint(minute=to_ist(minute).isoformat(), spot=spot) for minute, spot in rows.values_list("minute", "spot")
    ]


def chain_minute_at(*, underlying: Underlying, at: datetime, expiry: date | None = None) -> datetime | None:
    """The latest archived minute at or before ``at`` for the underlying (and expiry, when given)."""
    quotes = OptionQuote.objects.filter(underlying=underlying, minute__lte=at)
    if expiry is not None:
        quotes = quotes.filter(expiry=expiry)
    return quotes.order_by("-minute").values_list("minute", flat=True).first()


def chain_expiry_for_bucket(*, underlying: Underlying, bucket: str | None, minute: datetime) -> date | None:
    """The expiry that was in ``bucket`` at ``minute`` (buckets are stored with each quote);
    without a bucket, the nearest expiry archived at that minute."""
    quotes = OptionQuote.objects.filter(underlying=underlying, minute=minute)
    if bucket is not None:
        quotes = quotes.filter(expiry_bucket=bucket)
    return quotes.order_by("expiry").values_list("expiry", flat=True).first()


def chain_expiries_at(*, underlying: Underlying, minute: datetime) -> list[date]:
    return list(
        OptionQuote.objects.filter(underlying=underlying, minute=minute)
        .order_by("expiry")
        .values_list("expiry", flat=True)
        .distinct()
    )


def chain_quotes(
    *, underlying: Underlying, expiry: date, minute: datetime, offsets: Sequence[int] | None = None
) -> list[OptionQuote]:
    """Both legs of every archived strike of one expiry at one minute, ordered by strike then CE/PE."""
    quotes = OptionQuote.objects.filter(underlying=underlying, expiry=expiry, minute=minute)
    if offsets is not None:
        quotes = quotes.filter(strike_offset__in=list(offsets))
    return list(quotes.select_related("instrument").order_by("strike", "option_type"))


STREAM_FUTURES_PER_UNDERLYING = 3
"""As many futures as collection quotes for its forward estimates."""


def stream_tokens_wanted(*, today: date) -> list[int]:
    """Instrument tokens the live tick stream should carry, most important first: each active underlying's
    index, India VIX and its nearest futures (what planning needs), then the options archived at the
    underlying's latest minute that are still listed (what collection chose last)."""
    head: list[int] = []
    options: list[int] = []
    vix = Instrument.objects.filter(exchange="NSE", tradingsymbol="INDIA VIX", active=True).first()
    if vix is not None:
        head.append(vix.instrument_token)
    for underlying in Underlying.objects.filter(active=True).order_by("display_order", "id"):
        head.append(underlying.spot_token)
        futures = Instrument.objects.filter(
            underlying=underlying, instrument_type=InstrumentType.FUT, active=True, expiry__gte=today
        ).order_by("expiry")
        head += list(futures.values_list("instrument_token", flat=True)[:STREAM_FUTURES_PER_UNDERLYING])
        latest = OptionQuote.objects.filter(underlying=underlying).order_by("-minute").values_list("minute", flat=True)
        minute = latest.first()
        if minute is not None:
            rows = OptionQuote.objects.filter(
                underlying=underlying, minute=minute, instrument__active=True, expiry__gte=today
            ).order_by("expiry", "strike", "option_type")
            options += list(rows.values_list("instrument__instrument_token", flat=True))
    return list(dict.fromkeys(head + options))


def collection_run_list(*, limit: int, status: str | None = None) -> QuerySet[CollectionRun]:
    runs = CollectionRun.objects.order_by("-started_at")
    if status:
        runs = runs.filter(status=status)
    return runs[:limit]


EXPORT_QUOTE_FIELDS: tuple[str, ...] = (
    "minute",
    "underlying__symbol",
    "instrument__tradingsymbol",
    "instrument__instrument_token",
    *(name for name in legs.IDENTITY if name not in ("minute", "instrument", "underlying")),
    *legs.MARKET,
    *legs.ANALYTICS,
)
"""Every stored column of a leg, with the underlying's symbol and the instrument's tradingsymbol and token."""


def quote_export_rows(
    *, day: date, underlying: Underlying | None = None, fields: Sequence[str] = EXPORT_QUOTE_FIELDS
) -> Iterator[dict[str, Any]]:
    """Every archived option leg of an IST day, oldest minute first, streamed from the database."""
    start, end = ist_day_bounds(day)
    quotes = OptionQuote.objects.filter(minute__gte=start, minute__lt=end)
    if underlying is not None:
        quotes = quotes.filter(underlying=underlying)
    ordered = quotes.order_by(
        "minute", "underlying__display_order", "underlying__symbol", "expiry", "strike", "option_type"
    )
    yield from ordered.values(*fields).iterator(chunk_size=5000)


CHAIN_LEG_FIELDS = legs.CHAIN


def chain_export_rows(*, day: date, underlying: Underlying) -> Iterator[dict[str, Any]]:
    """One row per (minute, expiry, strike) with the CE and PE legs side by side (``ce_*``/``pe_*``).

    A strike whose other leg was not archived that minute keeps that leg's columns empty.
    """
    fields = ("minute", "expiry", "expiry_bucket", "strike", "strike_offset", "option_type", "spot", "forward")
    current: dict[str, Any] | None = None
    for quote in quote_export_rows(day=day, underlying=underlying, fields=fields + CHAIN_LEG_FIELDS):
        key = (quote["minute"], quote["expiry"], quote["strike"])
        if current is None or (current["minute"], current["expiry"], current["strike"]) != key:
            if current is not None:
                yield current
            current = {
                "minute": quote["minute"],
                "expiry": quote["expiry"],
                "expiry_bucket": quote["expiry_bucket"],
                "strike": quote["strike"],
                "strike_offset": quote["strike_offset"],
                "spot": quote["spot"],
                "forward": quote["forward"],
                **{f"{leg}_{name}": None for leg in ("ce", "pe") for name in CHAIN_LEG_FIELDS},
            }
        prefix = quote["option_type"].lower()
        for name in CHAIN_LEG_FIELDS:
            current[f"{prefix}_{name}"] = quote[name]
    if current is not None:
        yield current
