from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.brokers.base import Broker
from apps.collection.services.chain import chain_collect
from apps.core.errors import ApplicationError
from apps.market.choices import ExpiryBucket
from apps.market.clock import to_ist
from apps.market.models import Instrument, Underlying
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote, UnderlyingQuote

pytestmark = pytest.mark.django_db(transaction=True)


def _snapshot(minute: object) -> list[tuple]:
    return list(
        OptionQuote.objects.filter(minute=minute)
        .order_by("instrument_id")
        .values_list("instrument_id", "last_price", "bid", "ask", "volume", "oi", "strike_offset", "expiry_bucket")
    )


def test_it_collects_every_active_underlying_at_the_configured_offsets(sim_market: Broker) -> None:
    run = chain_collect(broker=sim_market)

    assert run.status == CollectionStatus.SUCCESS, run.error
    assert run.instruments_missing == 0
    for underlying in Underlying.objects.filter(active=True):
        rows = OptionQuote.objects.filter(underlying=underlying, minute=run.minute)
        expiries = set(rows.values_list("expiry", flat=True))
        # -2..2 offsets, CE and PE, for every distinct bucket expiry
        assert rows.count() == len(expiries) * 5 * 2
        assert set(rows.values_list("strike_offset", flat=True)) == {-2, -1, 0, 1, 2}
        buckets = set(rows.values_list("expiry_bucket", flat=True))
        if underlying.has_weeklies:
            assert ExpiryBucket.THIS_WEEK in buckets and ExpiryBucket.NEXT_WEEK in buckets
        else:
            assert not buckets & {ExpiryBucket.THIS_WEEK, ExpiryBucket.NEXT_WEEK}
            assert buckets <= {ExpiryBucket.THIS_MONTH, ExpiryBucket.NEXT_MONTH}
        spot = UnderlyingQuote.objects.get(underlying=underlying, minute=run.minute)
        listed = Instrument.objects.filter(underlying=underlying, instrument_type="FUT", active=True)
        nearest = sorted(listed.values_list("expiry", "tradingsymbol"))[:3]
        quoted = sim_market.quote([f"{underlying.options_exchange}:{s}" for _, s in nearest], minute=run.minute)
        assert spot.futures == {
            e.isoformat(): quoted[f"{underlying.options_exchange}:{s}"]["last_price"] for e, s in nearest
        }
        assert spot.future == spot.futures[nearest[0][0].isoformat()]  # the nearest, as before
        assert spot.futures_oi == {
            e.isoformat(): quoted[f"{underlying.options_exchange}:{s}"]["oi"] for e, s in nearest
        }
        assert all(oi > 0 for oi in spot.futures_oi.values())
    assert run.quotes_stored == OptionQuote.objects.filter(minute=run.minute).count()


def test_it_stores_the_atm_strike_nearest_the_forward_at_offset_zero(sim_market: Broker) -> None:
    run = chain_collect(broker=sim_market, underlyings=["NIFTY"])
    rows = OptionQuote.objects.filter(minute=run.minute, underlying__symbol="NIFTY")
    for expiry in set(rows.values_list("expiry", flat=True)):
        chain = rows.filter(expiry=expiry)
        atm = chain.get(strike_offset=0, option_type="CE")
        listed = set(
            Instrument.objects.filter(underlying__symbol="NIFTY", expiry=expiry, instrument_type="CE").values_list(
                "strike", flat=True
            )
        )
        nearest = min(listed, key=lambda k: (abs(k - atm.forward), -k))
        assert atm.strike == nearest
        assert chain.get(strike_offset=1, option_type="CE").strike > atm.strike


def test_it_changes_nothing_when_the_same_minute_is_collected_twice(sim_market: Broker) -> None:
    first = chain_collect(broker=sim_market)
    before = _snapshot(first.minute)
    second = chain_collect(broker=sim_market, minute=first.minute)

    assert second.status == CollectionStatus.SUCCESS
    assert second.quotes_stored == 0
    assert _snapshot(first.minute) == before
    assert UnderlyingQuote.objects.filter(minute=first.minute).count() == Underlying.objects.filter(active=True).count()


def test_it_advances_one_simulated_minute_per_run_and_prices_move(sim_market: Broker) -> None:
    first = chain_collect(broker=sim_market, underlyings=["NIFTY"])
    second = chain_collect(broker=sim_market, underlyings=["NIFTY"])

    assert second.minute - first.minute == timedelta(minutes=1) or to_ist(second.minute).time().hour == 9
    spots = list(UnderlyingQuote.objects.filter(underlying__symbol="NIFTY").values_list("spot", flat=True))
    assert len(spots) == 2 and spots[0] != spots[1]


def test_it_batches_a_full_chain_in_calls_of_at_most_500_keys(sim_market: Broker, settings: object) -> None:
    settings.OPTRADING_CHAIN_SCOPE = "full"  # type: ignore[attr-defined]
    run = chain_collect(broker=sim_market)

    # The simulated market rejects a call of more than 500 keys like Kite does, so a success with
    # more than 500 option keys proves the batching.
    assert run.status == CollectionStatus.SUCCESS, run.error
    assert run.instruments_requested > 1000
    assert run.quote_calls >= 1 + math.ceil((run.instruments_requested - 10) / 500)
    nifty = OptionQuote.objects.filter(minute=run.minute, underlying__symbol="NIFTY")
    assert nifty.values("expiry").distinct().count() == 4
    for expiry in set(nifty.values_list("expiry", flat=True)):
        chain = nifty.filter(expiry=expiry)
        forward = chain.first().forward  # type: ignore[union-attr]
        strikes = set(chain.values_list("strike", flat=True))
        listed = set(
            Instrument.objects.filter(underlying__symbol="NIFTY", expiry=expiry, instrument_type="CE").values_list(
                "strike", flat=True
            )
        )
        assert strikes == {k for k in listed if forward * 0.9 <= k <= forward * 1.1}


def test_it_keeps_the_other_underlyings_when_one_fails(sim_market: Broker) -> None:
    Instrument.objects.filter(underlying__symbol="BANKNIFTY", instrument_type__in=["CE", "PE"]).update(active=False)
    run = chain_collect(broker=sim_market)

    assert run.status == CollectionStatus.PARTIAL
    assert "BANKNIFTY" in run.error
    assert not OptionQuote.objects.filter(underlying__symbol="BANKNIFTY").exists()
    stored = set(OptionQuote.objects.values_list("underlying__symbol", flat=True).distinct())
    assert stored == {"NIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"}


def test_it_rejects_an_unknown_underlying_and_writes_nothing(sim_market: Broker) -> None:
    with pytest.raises(ApplicationError, match="FOO"):
        chain_collect(broker=sim_market, underlyings=["FOO"])
    with pytest.raises(CommandError) as excinfo:
        call_command("collect_once", "--underlying", "FOO")
    assert excinfo.value.returncode == 2
    assert "Unknown underlying FOO" in str(excinfo.value)
    assert not CollectionRun.objects.exists() and not OptionQuote.objects.exists()


def test_it_rejects_malformed_strike_offsets_naming_the_setting(sim_market: Broker, settings: object) -> None:
    settings.OPTRADING_STRIKE_OFFSETS = "-2..x"  # type: ignore[attr-defined]
    with pytest.raises(CommandError) as excinfo:
        call_command("collect_once")
    assert excinfo.value.returncode == 2
    assert "OPTRADING_STRIKE_OFFSETS" in str(excinfo.value)
    assert not CollectionRun.objects.exists()


def test_collect_once_collects_one_underlying(sim_market: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("collect_once", "--underlying", "nifty")
    assert "success" in capsys.readouterr().out
    assert set(OptionQuote.objects.values_list("underlying__symbol", flat=True).distinct()) == {"NIFTY"}


def test_it_records_the_extended_offsets(sim_market: Broker, settings: object) -> None:
    settings.OPTRADING_STRIKE_OFFSETS = "-5..5"  # type: ignore[attr-defined]
    run = chain_collect(broker=sim_market, underlyings=["FINNIFTY"])
    offsets = set(OptionQuote.objects.filter(minute=run.minute).values_list("strike_offset", flat=True))
    assert offsets == set(range(-5, 6))
