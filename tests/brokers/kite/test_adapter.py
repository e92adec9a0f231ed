"""KiteBroker against the double: normalised quotes, missing keys, session guard, retries and error codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.brokers.base import PermanentBrokerError, SessionRequiredError, TransientBrokerError, get_broker
from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.models import AuthEvent, AuthEventKind, BrokerSession, SessionStatus
from tests.kite_double import KiteDouble

pytestmark = pytest.mark.django_db
MINUTE = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _option_keys(double: KiteDouble, count: int, *, name: str = "NIFTY") -> list[str]:
    rows = [r for r in double.book.rows if r.underlying and r.underlying.name == name and r.strike]
    return [r.key for r in rows[:count]]


def test_it_is_the_registered_kite_broker(kite_settings) -> None:
    broker = get_broker("kite")
    assert isinstance(broker, KiteBroker)
    assert broker.rate_limiter.__class__.__name__ == "RedisTokenBucket"


def test_it_normalises_quotes(kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble) -> None:
    kite_double.set_time(kite_double.now())  # the double's prices move with its clock; compare like with like
    keys = [*_option_keys(kite_double, 300), "NSE:NIFTY 50", "BSE:SENSEX"]
    quotes = kite_broker.quote(keys, minute=MINUTE)

    assert set(quotes) == set(keys)
    index = quotes["NSE:NIFTY 50"]
    assert index["depth"] == {"buy": [], "sell": []}  # five zero-padded levels a side, all dropped
    assert index["last_trade_time"] is None
    assert isinstance(index["timestamp"], datetime) and index["timestamp"].tzinfo is None  # naive IST, as pykiteconnect
    padded = 0
    for key in keys:
        quote = quotes[key]
        for name in ("last_price", "average_price", "net_change"):
            assert type(quote[name]) is float, (key, name)
        assert all(type(v) is float for v in quote["ohlc"].values())
        assert quote["net_change"] == pytest.approx(quote["last_price"] - quote["ohlc"]["close"])
        for side in ("buy", "sell"):
            assert all(lvl["price"] > 0 or lvl["quantity"] > 0 for lvl in quote["depth"][side])
            padded += 5 - len(quote["depth"][side])
    assert padded > 0  # the double pads illiquid strikes, so dropping was exercised
    # against the double's own book: the same numbers came through
    row = kite_double.book.by_key[keys[150]]
    raw = kite_double.book.full_quote(row, kite_double.now())
    assert quotes[keys[150]]["oi"] == raw["oi"]
    assert quotes[keys[150]]["instrument_token"] == row.instrument_token


def test_it_leaves_keys_without_data_absent(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    keys = _option_keys(kite_double, 10)
    kite_double.missing_keys.update(keys[:3])
    quotes = kite_broker.quote([*keys, "NFO:NOSUCHSYMBOL"], minute=MINUTE)
    assert set(quotes) == set(keys[3:])


def test_it_turns_epoch_zero_timestamps_into_none(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.book.junk_timestamps = True
    quote = kite_broker.quote(_option_keys(kite_double, 1), minute=MINUTE)
    [value] = quote.values()
    assert value["timestamp"] is None
    assert value["last_trade_time"] is None


def test_it_never_calls_kite_without_a_session(kite_broker: KiteBroker, kite_double: KiteDouble) -> None:
    assert kite_broker.ready() == (
        False,
        "No Kite session: log in at /broker/kite/login (or run `manage.py kite_login`).",
    )
    with pytest.raises(SessionRequiredError) as caught:
        kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)
    assert caught.value.code == "session_required"
    assert caught.value.suggestion == "Log in at /broker/kite/login"
    assert kite_double.requests == []


def test_it_never_calls_kite_after_the_six_am_deadline(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    BrokerSession.objects.filter(pk=kite_session.pk).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    before = len(kite_double.requests)

    ready, reason = kite_broker.ready()
    assert ready is False and "expired" in reason
    with pytest.raises(SessionRequiredError):
        kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)

    assert len(kite_double.requests) == before
    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.EXPIRED
    assert AuthEvent.objects.filter(event=AuthEventKind.EXPIRED).count() == 1


def test_it_expires_the_session_when_kite_rejects_the_token(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.inject("token_expired")
    with pytest.raises(SessionRequiredError) as caught:
        kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)

    assert caught.value.code == "session_expired"
    assert caught.value.suggestion == "Log in again at /broker/kite/login"
    assert "Incorrect `api_key` or `access_token`." in str(caught.value)
    assert kite_double.count("/quote") == 1  # a token error is never retried
    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.EXPIRED
    assert AuthEvent.objects.get(event=AuthEventKind.EXPIRED).user_id == "DB1234"
    # afterwards collection does not touch Kite until someone logs in again
    assert kite_broker.ready()[0] is False
    with pytest.raises(SessionRequiredError):
        kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)
    assert kite_double.count("/quote") == 1


def test_it_retries_a_429_burst_and_then_succeeds(
    unpaced_kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.inject("rate_limit", times=2)
    quotes = unpaced_kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)
    assert list(quotes) == ["NSE:NIFTY 50"]
    assert [r.status for r in kite_double.requests if r.path == "/quote"] == [429, 429, 200]


def test_it_gives_up_on_a_429_storm_with_a_plain_suggestion(
    unpaced_kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.inject("rate_limit", times=100)
    with pytest.raises(TransientBrokerError) as caught:
        unpaced_kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)
    assert caught.value.code == "kite_rate_limited"
    assert caught.value.suggestion == "Another program is using this API key, or the request rate is too high"
    assert "gave up after 4 tries" in str(caught.value)
    assert kite_double.count("/quote") == 4


def test_it_retries_an_html_502_page(
    unpaced_kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.inject("html_502")
    kite_double.inject("unavailable")
    assert "BSE:SENSEX" in unpaced_kite_broker.quote(["BSE:SENSEX"], minute=MINUTE)
    assert [r.status for r in kite_double.requests if r.path == "/quote"] == [502, 503, 200]


def test_it_reports_a_persistent_502_as_kite_having_problems(
    unpaced_kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.inject("html_502", times=10)
    with pytest.raises(TransientBrokerError) as caught:
        unpaced_kite_broker.quote(["BSE:SENSEX"], minute=MINUTE)
    assert caught.value.code == "kite_unavailable"
    assert caught.value.suggestion == "Kite is having problems; collection retries automatically"
    assert "text/html" in str(caught.value)


def test_it_retries_a_reply_slower_than_the_client_timeout(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.inject("slow", delay=2.5)  # the client gives up after KITE_TIMEOUT = 1.5 s
    assert "NSE:NIFTY 50" in kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)
    assert kite_double.count("/quote") == 2


def test_it_does_not_retry_input_errors(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    keys = _option_keys(kite_double, 501)
    with pytest.raises(PermanentBrokerError) as caught:
        kite_broker.quote(keys, minute=MINUTE)
    assert caught.value.code == "kite_input"
    assert "Too many tokens requested. Max permitted is 500." in str(caught.value)
    assert kite_double.count("/quote") == 1


def test_it_reports_an_unreachable_kite_as_a_network_error(
    unpaced_kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.stop()  # nothing listens on the port any more
    with pytest.raises(TransientBrokerError) as caught:
        unpaced_kite_broker.quote(["NSE:NIFTY 50"], minute=MINUTE)
    assert caught.value.code == "kite_network"
    assert caught.value.suggestion == "Check the internet connection"


def test_it_batches_and_paces_quote_calls_within_kites_limit(
    kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    keys = _option_keys(kite_double, 1200)
    batches = list(kite_broker.quote_many(keys, minute=MINUTE))

    assert [len(b) for b in batches] == [500, 500, 200]
    assert kite_double.rejected_429 == 0  # the shared bucket kept us at 1 call/s
    assert [r.status for r in kite_double.requests if r.path == "/quote"] == [200, 200, 200]


def test_it_returns_the_instruments_dump_as_pykiteconnect_parses_it(
    kite_broker: KiteBroker, kite_double: KiteDouble
) -> None:
    rows = kite_broker.instruments("NSE")  # the dump needs no session
    nifty = next(r for r in rows if r["instrument_token"] == 256265)
    assert nifty == {
        "instrument_token": 256265,
        "exchange_token": "1001",
        "tradingsymbol": "NIFTY 50",
        "name": "NIFTY 50",
        "last_price": 0.0,
        "expiry": "",
        "strike": 0.0,
        "tick_size": 0.0,
        "lot_size": 0,
        "instrument_type": "EQ",
        "segment": "INDICES",
        "exchange": "NSE",
    }
    assert {r["tradingsymbol"] for r in rows if r["segment"] == "INDICES"} >= {
        "NIFTY 50",
        "NIFTY BANK",
        "INDIA VIX",
        "NIFTY FIN SERVICE",
        "NIFTY MID SELECT",
    }
    bfo = kite_broker.instruments("BFO")
    assert all(r["instrument_token"] & 0xFF == 5 for r in bfo)
    assert {r["lot_size"] for r in bfo} == {20}


def test_it_floors_the_collection_minute_to_aware_utc(kite_broker: KiteBroker) -> None:
    now = datetime(2026, 11, 20, 9, 47, 31, 123, tzinfo=UTC)
    assert kite_broker.collection_minute(last_collected=None, now=now) == datetime(2026, 11, 20, 9, 47, tzinfo=UTC)
