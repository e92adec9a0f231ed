"""A simulated archive of N past sessions, written through the platform's own bulk path.

Option and underlying quotes go through ``apps.marketdata.services.quote_store.quotes_store`` (binary COPY
into staging, one INSERT ... ON CONFLICT), with their per-quote analytics (IV, greeks) filled in the same
rows; chain and volatility snapshots through ``bulk_create`` as analytics writes them; participant positions
one row per category per session. Prices are Black-76 on a seeded random-walk spot with a smile, so the
history analytics see plausible series. Deterministic for a seed. Call after ``support.django_setup``.
"""

from __future__ import annotations

import calendar
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

STEP = {"NIFTY": 50.0, "BANKNIFTY": 100.0, "FINNIFTY": 50.0, "MIDCPNIFTY": 25.0, "SENSEX": 100.0}
SPOT = {"NIFTY": 24_350.0, "BANKNIFTY": 52_300.0, "FINNIFTY": 24_370.0, "MIDCPNIFTY": 12_520.0, "SENSEX": 80_150.0}
OFFSETS = (-2, -1, 0, 1, 2)


@dataclass
class ArchiveInfo:
    sessions: list[date] = field(default_factory=list)
    minutes: int = 0
    option_rows: int = 0
    snapshot_rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def first_minute(self) -> datetime:
        from apps.market.calendar import session_open

        return session_open(self.sessions[0])

    @property
    def last_minute(self) -> datetime:
        from apps.market.calendar import session_minutes

        return session_minutes(self.sessions[-1])[-1]


def past_sessions(count: int, *, end: date | None = None) -> list[date]:
    """The last ``count`` trading days up to ``end`` (default: the last completed session), oldest first."""
    from apps.brokers.simulated.broker import last_completed_session_day
    from apps.market.calendar import previous_trading_day

    day = end or last_completed_session_day(datetime.now(UTC))
    days = [day]
    while len(days) < count:
        days.append(previous_trading_day(days[-1]))
    return days[::-1]


def _last_weekday_of_month(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def expiries_for(symbol: str, day: date) -> list[tuple[str, date]]:
    """(bucket, expiry) a session would list: NSE on Tuesdays, SENSEX on Thursdays; weeklies for NIFTY and SENSEX."""
    weekday = 3 if symbol == "SENSEX" else 1
    this_month = _last_weekday_of_month(day.year, day.month, weekday)
    if this_month < day:
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        this_month = _last_weekday_of_month(year, month, weekday)
    year, month = (this_month.year + 1, 1) if this_month.month == 12 else (this_month.year, this_month.month + 1)
    next_month = _last_weekday_of_month(year, month, weekday)
    out: list[tuple[str, date]] = []
    if symbol in ("NIFTY", "SENSEX"):
        this_week = day + timedelta(days=(weekday - day.weekday()) % 7)
        out += [("this_week", this_week), ("next_week", this_week + timedelta(days=7))]
    for bucket, expiry in (("this_month", this_month), ("next_month", next_month)):
        if expiry not in {e for _, e in out}:
            out.append((bucket, expiry))
    return out


class _Instruments:
    """Option instruments created on demand (one upsert per session) for the strikes the archive uses."""

    def __init__(self, underlying: Any) -> None:
        self.underlying = underlying
        self.ids: dict[tuple[date, float, str], int] = {}
        self.token = 10_000_000 + underlying.pk * 1_000_000

    def ensure(self, wanted: set[tuple[date, float, str]]) -> None:
        from apps.market.models import Instrument

        new = [key for key in wanted if key not in self.ids]
        if not new:
            return
        rows = []
        for expiry, strike, kind in new:
            self.token += 1
            symbol = f"{self.underlying.symbol}{expiry:%y%m%d}{strike:g}{kind}"
            rows.append(Instrument(instrument_token=self.token, exchange_token=str(self.token >> 8),
                                   tradingsymbol=symbol, name=self.underlying.symbol,
                                   exchange=self.underlying.options_exchange,
                                   segment=self.underlying.options_segment, underlying=self.underlying,
                                   expiry=expiry, strike=strike, instrument_type=kind,
                                   lot_size=65, tick_size=0.05, active=False))  # fmt: skip
        for row in Instrument.objects.bulk_create(rows, batch_size=2000):
            assert row.expiry is not None
            self.ids[(row.expiry, row.strike, row.instrument_type)] = row.pk


def archive_build(*, sessions: int, symbols: tuple[str, ...] = ("NIFTY",), options: bool = True,
                  snapshots: bool = True, participants: bool = True, seed: int = 7, end: date | None = None,
                  offsets: tuple[int, ...] = OFFSETS) -> ArchiveInfo:  # fmt: skip
    """Write ``sessions`` whole sessions for ``symbols`` (``offsets``: strikes around the ATM of each expiry,
    ±2 by default; ±58 gives the full chain's ~3,300 option rows a minute over five underlyings)."""
    from django.db import transaction

    from apps.analytics.models import AnalyticsCursor
    from apps.market.models import Underlying
    from apps.market.services import underlyings_load

    underlyings_load()
    info = ArchiveInfo(sessions=past_sessions(sessions, end=end))
    rng = np.random.default_rng(seed)
    spent = {"quotes": 0.0, "snapshots": 0.0, "participants": 0.0}
    for symbol in symbols:
        underlying = Underlying.objects.get(symbol=symbol)
        instruments = _Instruments(underlying)
        spot = SPOT[symbol]
        for day in info.sessions:
            with transaction.atomic():
                spot = _session(underlying, day, spot, rng, instruments, info, spent, options=options,
                                snapshots=snapshots, offsets=offsets)  # fmt: skip
        AnalyticsCursor.objects.update_or_create(underlying=underlying, defaults={"last_minute": info.last_minute})
    if participants:
        started = time.perf_counter()
        _participants(info.sessions, rng)
        spent["participants"] = time.perf_counter() - started
    info.seconds = spent
    return info


def _session(underlying: Any, day: date, spot0: float, rng: np.random.Generator, instruments: _Instruments,
             info: ArchiveInfo, spent: dict[str, float], *, options: bool, snapshots: bool,
             offsets: tuple[int, ...]) -> float:  # fmt: skip
    import pricing
    from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
    from apps.market.calendar import expiry_close, session_minutes
    from apps.marketdata.models import OptionQuote, UnderlyingQuote
    from apps.marketdata.services.quote_store import quotes_store

    symbol, step = underlying.symbol, STEP[underlying.symbol]
    minutes = session_minutes(day, underlying.exchange)
    n = len(minutes)
    path = spot0 * np.exp(np.cumsum(rng.normal(0, 0.0006, n)))
    vix = 13.0 + 2.0 * np.sin(np.linspace(0, math.pi, n) + day.toordinal() / 9) + rng.normal(0, 0.05, n)
    base_vol = vix / 100
    expiries = expiries_for(symbol, day)
    started = time.perf_counter()
    option_rows: list[OptionQuote] = []
    snapshot_rows: list[ChainSnapshot] = []
    wanted: set[tuple[date, float, str]] = set()
    per_expiry = []
    for bucket, expiry in expiries:
        t = np.array([max(pricing.year_fraction_minutes(m, expiry_close(expiry, underlying.exchange)), 1e-4)
                      for m in minutes])  # fmt: skip
        forward = path * np.exp(0.055 * t)
        atm = np.round(forward / step) * step
        per_expiry.append((bucket, expiry, t, forward, atm))
        for offset in offsets:
            for strike in np.unique(atm + offset * step).tolist():
                wanted |= {(expiry, strike, "CE"), (expiry, strike, "PE")}
    if options:
        instruments.ensure(wanted)
    underlying_rows = [
        UnderlyingQuote(
            minute=m,
            underlying=underlying,
            spot=round(float(path[i]), 2),
            spot_close=round(spot0, 2),
            future=round(float(per_expiry[-1][3][i]), 2),
            future_expiry=per_expiry[-1][1],
            vix=round(float(vix[i]), 4),
        )
        for i, m in enumerate(minutes)
    ]
    for bucket, expiry, t, forward, atm in per_expiry:
        strikes = atm[:, None] + np.array(offsets)[None, :] * step  # (n, strikes)
        middle = offsets.index(0)
        moneyness = np.log(strikes / forward[:, None]) / np.sqrt(t[:, None])
        sigma = base_vol[:, None] * (1 - 0.3 * moneyness + 0.5 * moneyness**2).clip(0.6, 3)
        legs = {}
        for kind, is_call in (("CE", True), ("PE", False)):
            shape = strikes.shape
            args = (np.broadcast_to(forward[:, None], shape).ravel(), strikes.ravel(),
                    np.broadcast_to(t[:, None], shape).ravel(), np.full(strikes.size, 0.055), sigma.ravel(),
                    np.full(strikes.size, is_call))  # fmt: skip
            price = np.maximum(pricing.black76_price(*args), 0.05).reshape(shape)
            greeks = {k: v.reshape(shape) for k, v in pricing.black76_greeks(*args).items()}
            oi = (rng.integers(50, 5000, shape) * 65).astype(np.int64)
            legs[kind] = (price, greeks, oi)
        if options:
            for i, minute in enumerate(minutes):
                for j, offset in enumerate(offsets):
                    strike = float(strikes[i, j])
                    for kind, (price, greeks, oi) in legs.items():
                        last = round(float(price[i, j]), 2)
                        option_rows.append(OptionQuote(
                            minute=minute, instrument_id=instruments.ids[(expiry, strike, kind)],
                            underlying=underlying, expiry=expiry, strike=strike, option_type=kind,
                            expiry_bucket=bucket, strike_offset=offset, last_price=last, average_price=last,
                            close_price=last, volume=int(oi[i, j]) * 3, oi=int(oi[i, j]), oi_day_high=int(oi[i, j]),
                            oi_day_low=int(oi[i, j]), bid=round(last - 0.05, 2), bid_qty=650, ask=round(last + 0.05, 2),
                            ask_qty=650, last_trade_time=minute, spot=float(path[i]), forward=float(forward[i]),
                            oi_change=0, iv=float(sigma[i, j]), iv_source="mid",
                            delta=float(greeks["delta"][i, j]), gamma=float(greeks["gamma"][i, j]),
                            theta=float(greeks["theta"][i, j]), vega=float(greeks["vega"][i, j]),
                            rho=float(greeks["rho"][i, j]), buildup="neutral", quality_flags=[], analysed_at=minute,
                        ))  # fmt: skip
        if snapshots:
            call_price, call_greeks, call_oi = legs["CE"]
            put_price, _, put_oi = legs["PE"]
            for i, minute in enumerate(minutes):
                iv_atm = float(sigma[i, middle])
                straddle = float(call_price[i, middle] + put_price[i, middle])
                total_call, total_put = int(call_oi[i].sum()), int(put_oi[i].sum())
                by_strike = {
                    "strikes": strikes[i].tolist(),
                    "call_oi": call_oi[i].tolist(), "put_oi": put_oi[i].tolist(),
                    "call_oi_change": [0] * len(offsets), "put_oi_change": [0] * len(offsets),
                    "call_volume": (call_oi[i] * 3).tolist(), "put_volume": (put_oi[i] * 3).tolist(),
                    "call_iv": sigma[i].tolist(), "put_iv": sigma[i].tolist(),
                    "gex": (call_greeks["gamma"][i] * (call_oi[i] - put_oi[i]) * forward[i] ** 2 * 0.01).tolist(),
                }  # fmt: skip
                snapshot_rows.append(ChainSnapshot(
                    minute=minute, underlying=underlying, expiry=expiry, expiry_bucket=bucket, t_years=float(t[i]),
                    spot=float(path[i]), forward=float(forward[i]), forward_source="parity",
                    strike_count=len(offsets),
                    atm_strike=float(atm[i]), atm_strike_spot=float(atm[i]), atm_iv=iv_atm, straddle=straddle,
                    expected_move=float(forward[i] * iv_atm * math.sqrt(t[i])), pcr_oi=total_put / total_call,
                    pcr_volume=total_put / total_call, pcr_oi_change=None, max_pain=float(atm[i]),
                    rr25=-0.02, bf25=0.004, call_oi_wall=float(strikes[i, int(call_oi[i].argmax())]),
                    put_oi_wall=float(strikes[i, int(put_oi[i].argmax())]), net_gex=float(sum(by_strike["gex"])),
                    total_call_oi=total_call, total_put_oi=total_put, sentiment="neutral", sentiment_score=0,
                    buildup_counts={"neutral": 10}, by_strike=by_strike, computed_at=minute,
                ))  # fmt: skip
    build = time.perf_counter() - started
    started = time.perf_counter()
    result = quotes_store(options=option_rows, underlyings=underlying_rows)
    spent["quotes"] += time.perf_counter() - started + build * 0.5
    info.option_rows += result.options_stored
    if snapshots:
        started = time.perf_counter()
        ChainSnapshot.objects.bulk_create(snapshot_rows, batch_size=2000)
        VolatilitySnapshot.objects.bulk_create(
            [VolatilitySnapshot(minute=m, underlying=underlying, cm30_iv=float(base_vol[i]),
                                our_vix=float(vix[i]) / 100 + 0.002, vix=float(vix[i]))
             for i, m in enumerate(minutes)], batch_size=2000)  # fmt: skip
        spent["snapshots"] += time.perf_counter() - started + build * 0.5
        info.snapshot_rows += len(snapshot_rows)
    info.minutes += n
    return float(path[-1])


def _participants(sessions: list[date], rng: np.random.Generator) -> None:
    from django.utils import timezone

    from apps.participants.models import ParticipantCategory, ParticipantKind, ParticipantPosition

    rows = []
    categories = [c for c in ParticipantCategory.values if c != ParticipantCategory.TOTAL]
    for day in sessions:
        for kind in ParticipantKind.values:
            values = {c: rng.integers(10_000, 500_000, 12) for c in categories}
            total = sum(values.values())
            for category, v in [*values.items(), (ParticipantCategory.TOTAL, total)]:
                long_ = int(v[0] + v[2] + v[4] + v[5] + v[8] + v[9])
                rows.append(ParticipantPosition(
                    date=day, kind=kind, category=category, future_index_long=int(v[0]), future_index_short=int(v[1]),
                    future_stock_long=int(v[2]), future_stock_short=int(v[3]), option_index_call_long=int(v[4]),
                    option_index_put_long=int(v[5]), option_index_call_short=int(v[6]),
                    option_index_put_short=int(v[7]), option_stock_call_long=int(v[8]),
                    option_stock_put_long=int(v[9]), option_stock_call_short=int(v[10]),
                    option_stock_put_short=int(v[11]), total_long=long_, total_short=long_,
                    source_file="benchmark", imported_at=timezone.now(),
                ))  # fmt: skip
    ParticipantPosition.objects.bulk_create(rows, batch_size=2000)
