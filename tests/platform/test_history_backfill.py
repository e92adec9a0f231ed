"""A first run with history: the setup back-fills simulated sessions, and the history views then have data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError

from apps.analytics import selectors
from apps.analytics.models import ChainSnapshot
from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.instruments import instruments_sync
from apps.market.clock import IST, to_ist
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from apps.participants.models import ParticipantPosition
from apps.participants.selectors import participants_history
from apps.platform.services.history import backfill_minutes, sim_history_backfill

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 15, tzinfo=IST)  # the simulated clock starts at Friday 27-Nov's open
SESSIONS = [date(2026, 11, 25), date(2026, 11, 26)]


@pytest.fixture
def broker() -> SimulatedBroker:
    sim = SimulatedBroker(seed=42, as_of=date(2026, 11, 25))
    underlyings_load()
    instruments_sync(broker=sim, today=date(2026, 11, 25))
    return sim


def test_a_session_is_back_filled_every_step_and_at_its_close() -> None:
    minutes = [to_ist(m).strftime("%H:%M") for m in backfill_minutes(date(2026, 11, 26), step=60)]
    assert minutes == [
        "09:15",
        "10:15",
        "11:15",
        "12:15",
        "13:15",
        "14:15",
        "15:15",
        "15:39",
    ]  # the session closes 15:40 from Aug-2026


def test_the_setup_back_fills_sessions_and_the_history_views_answer(broker, tmp_path) -> None:
    seen: list[tuple[int, int]] = []
    result = sim_history_backfill(
        broker=broker,
        now=NOW,
        sessions=2,
        step=60,
        participants_dir=tmp_path,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert result.sessions == SESSIONS
    assert result.minutes == 16 and seen[-1] == (16, 16)
    assert result.options_stored == OptionQuote.objects.count() > 0
    assert result.analysed == 16 * 5  # every minute of the five underlyings
    days = {to_ist(m).date() for m in ChainSnapshot.objects.values_list("minute", flat=True)}
    assert days == set(SESSIONS)
    assert OptionQuote.objects.filter(minute__date=date(2026, 11, 26), oi_change__isnull=False).exists()  # ΔOI

    rank = selectors.iv_rank(underlying="NIFTY")
    assert rank["cm30_atm_iv"]["sessions"] == 2 and rank["india_vix"]["sessions"] == 2
    daily = selectors.history(
        underlying="NIFTY", field="pcr_oi", start=datetime(2026, 11, 25, tzinfo=UTC), end=NOW, daily=True
    )
    assert [p["minute"][:10] for p in daily["points"]] == ["2026-11-25", "2026-11-26"]
    paths = selectors.expiry_comparison(underlying="NIFTY", field="max_pain")
    assert sum(len(e["points"]) for e in paths["expiries"]) >= 2
    assert selectors.vix_correlation(underlying="NIFTY", window=3)["points"][0]["date"] == "2026-11-26"

    assert result.participant_files == ["fao_participant_oi_25112026.csv", "fao_participant_oi_26112026.csv"]
    history = participants_history(date(2026, 11, 1), date(2026, 11, 30))
    assert [h["date"] for h in history] == ["2026-11-25", "2026-11-26"]
    assert ParticipantPosition.objects.filter(source_file="fao_participant_oi_26112026.csv").count() == 5


def test_it_runs_once_and_not_at_all_with_zero_sessions(broker, tmp_path) -> None:
    assert sim_history_backfill(broker=broker, now=NOW, sessions=0).skipped == "OPTRADING_SIM_HISTORY_SESSIONS=0"
    assert not OptionQuote.objects.exists()
    sim_history_backfill(broker=broker, now=NOW, sessions=1, step=200, participants_dir=tmp_path)
    stored = OptionQuote.objects.count()
    again = sim_history_backfill(broker=broker, now=NOW, sessions=1, step=200, participants_dir=tmp_path)
    assert again.skipped == "the archive already holds collected minutes"
    assert OptionQuote.objects.count() == stored


class BadRowBroker(SimulatedBroker):
    """The simulated market serving one impossible quote (a negative last price) at one minute."""

    def __init__(self, bad_minute: datetime) -> None:
        super().__init__(seed=42, as_of=date(2026, 11, 25))
        self.bad_minute = bad_minute

    def _quote(self, keys, *, minute):  # type: ignore[no-untyped-def]
        quotes = super()._quote(keys, minute=minute)
        options = [k for k in keys if k.startswith("NFO:NIFTY") and k.endswith(("CE", "PE"))]
        if minute == self.bad_minute and options:
            quotes[options[0]] = {**quotes[options[0]], "last_price": -1.0}  # a copy: the engine caches quotes
        return quotes


def test_a_bad_row_stores_nothing_of_its_minute_through_the_bulk_path(tmp_path) -> None:
    first, second = backfill_minutes(date(2026, 11, 26), step=200)[:2]
    broker = BadRowBroker(bad_minute=second)
    underlyings_load()
    instruments_sync(broker=broker, today=date(2026, 11, 25))
    with pytest.raises(IntegrityError, match="optionquote_price_non_negative"):
        sim_history_backfill(broker=broker, now=NOW, sessions=1, step=200, participants_dir=tmp_path)
    assert OptionQuote.objects.filter(minute=first).count() > 0
    assert not OptionQuote.objects.filter(minute=second).exists()  # not one of the minute's good rows either
    assert not UnderlyingQuote.objects.filter(minute=second).exists()
