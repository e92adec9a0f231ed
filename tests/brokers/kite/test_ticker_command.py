"""``manage.py kite_ticker`` as the real separate process it is meant to be, and its refusals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.models import BrokerSession
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote, QuoteSource
from tests.kite_double import KiteDouble, KiteTickerDouble
from tests.support import child_process_env

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow  # starts the ticker process
@pytest.mark.django_db(transaction=True)
def test_the_process_streams_the_collected_instruments_and_stops_cleanly_on_sigint(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble, kite_ticker_double: KiteTickerDouble
) -> None:
    kite_double.set_time(timezone.now())  # prices hold still, so the ATM (and the plan) cannot move
    underlyings_load()
    instruments_sync(broker=kite_broker)
    last_minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    collected = chain_collect(broker=kite_broker, minute=last_minute)  # what quote collection archived last
    assert collected.quotes_stored > 0
    env = {
        **child_process_env(),
        "OPTRADING_BROKER": "kite",
        "KITE_API_KEY": kite_double.api_key,
        "KITE_API_SECRET": kite_double.api_secret,
        "KITE_API_ROOT": kite_double.root,
        "KITE_TICKER_ROOT": kite_ticker_double.root,
    }
    child = subprocess.Popen(
        [sys.executable, "manage.py", "kite_ticker", "--any-time", "--snapshot-second", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ticked = OptionQuote.objects.filter(source=QuoteSource.TICKER)
    try:
        deadline = time.monotonic() + 45
        while not ticked.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.2)
    finally:
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert ticked.exists(), out + err
    # It streamed exactly what quote collection archived last (same plan, same prices: same strikes).
    minute = ticked.order_by("minute").values_list("minute", flat=True).first()
    assert minute is not None and minute > last_minute
    streamed = set(ticked.filter(minute=minute).values_list("instrument_id", flat=True))
    archived = set(OptionQuote.objects.filter(minute=last_minute).values_list("instrument_id", flat=True))
    assert streamed == archived
    assert set(kite_ticker_double.subscriptions().values()) <= {"full"}
    assert "tick rows stored" in out and out.rstrip().endswith("kite_ticker stopped")


def test_it_refuses_to_run_without_redis(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMBEDDED = True
    with pytest.raises(CommandError, match="set REDIS_URL") as caught:
        call_command("kite_ticker")
    assert caught.value.returncode == 2


def test_it_names_the_missing_kite_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.KITE_API_KEY = ""
    with pytest.raises(CommandError, match="KITE_API_KEY is not set") as caught:
        call_command("kite_ticker")
    assert caught.value.returncode == 2


def test_it_checks_the_snapshot_second(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="--snapshot-second must be between 0 and 50") as caught:
        call_command("kite_ticker", "--snapshot-second", "75")
    assert caught.value.returncode == 2


def test_it_refuses_a_malformed_collection_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.KITE_API_KEY, settings.KITE_API_SECRET = "key", "secret"
    settings.OPTRADING_CHAIN_SCOPE = "sideways"
    with pytest.raises(CommandError, match="OPTRADING_CHAIN_SCOPE='sideways' is not a scope") as caught:
        call_command("kite_ticker")
    assert caught.value.returncode == 2
