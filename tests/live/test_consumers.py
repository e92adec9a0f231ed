from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from apps.analytics.signals import analytics_committed
from apps.collection.signals import collection_committed
from apps.core.api_tokens import api_token_create
from apps.live.consumers import SystemHealthConsumer
from apps.live.ws_auth import TokenAuthMiddleware
from optrading.routing import websocket_application
from tests.live.chain import (
    MINUTE_1,
    MINUTE_2,
    MONTHLY,
    STRIKES,
    WEEKLY,
    chain_write,
    session_cookie,
    underlying_create,
)
from tests.live.communicator import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")


def _communicator(path: str, *, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    return WebsocketCommunicator(websocket_application, path, headers=headers)


@sync_to_async
def _trader() -> tuple[User, bytes]:
    user = User.objects.create_user("trader", password="pw-not-used")
    return user, session_cookie(user)


@sync_to_async
def _publish(*, minute: Any, underlying_ids: list[int]) -> None:
    collection_committed.send(sender=None, run_id=1, minute=minute, underlying_ids=underlying_ids)


async def _refusal(communicator: WebsocketCommunicator) -> tuple[dict[str, Any], dict[str, Any]]:
    connected, _ = await communicator.connect()
    assert connected  # refusals accept first so that the browser sees the close code
    error = await communicator.receive_json_from()
    close = await communicator.receive_output()
    return error, close


@pytest.mark.parametrize("path", ["/ws/live-data/?symbol=NIFTY", "/ws/analytics/?symbol=NIFTY", "/ws/system-health/"])
async def test_it_closes_an_anonymous_connection_with_4401(path: str) -> None:
    error, close = await _refusal(_communicator(path))
    assert error == {"type": "error", "version": 1, "code": 4401, "error": "Log in first, or pass ?token=<API token>."}
    assert close == {"type": "websocket.close", "code": 4401}


async def test_it_closes_a_connection_with_an_unknown_token_with_4401() -> None:
    await sync_to_async(underlying_create)()
    error, close = await _refusal(_communicator("/ws/live-data/?symbol=NIFTY&token=not-a-token"))
    assert error["error"] == "The token is unknown or its user is inactive."
    assert close["code"] == 4401


async def test_it_refuses_a_wrong_token_even_with_a_valid_session() -> None:
    _, cookie = await _trader()
    await sync_to_async(underlying_create)()
    error, close = await _refusal(_communicator("/ws/live-data/?symbol=NIFTY&token=wrong", cookie=cookie))
    assert error["error"] == "The token is unknown or its user is inactive."
    assert close["code"] == 4401


async def test_it_closes_an_inactive_session_user_with_4403() -> None:
    user, _ = await _trader()
    await sync_to_async(underlying_create)()
    user.is_active = False
    await sync_to_async(user.save)(update_fields=["is_active"])

    # Django's session backend already refuses inactive users, so reach the consumer's check through the scope.
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await TokenAuthMiddleware(SystemHealthConsumer.as_asgi())({**scope, "user": user}, receive, send)

    error, close = await _refusal(WebsocketCommunicator(app, "/ws/system-health/"))
    assert error["error"] == "This account is inactive."
    assert close["code"] == 4403


async def test_it_sends_the_latest_chain_to_a_session_user_on_connect() -> None:
    _, cookie = await _trader()
    nifty = await sync_to_async(underlying_create)()
    await sync_to_async(chain_write)(nifty, minute=MINUTE_1)
    communicator = _communicator("/ws/live-data/?symbol=NIFTY&bucket=this_week", cookie=cookie)
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_json_from()
    assert message["type"] == "chain.update"
    assert message["version"] == 1
    assert (message["symbol"], message["bucket"], message["full"]) == ("NIFTY", "this_week", True)
    assert message["minute"] == "2026-03-27T04:00:00+00:00"
    assert message["spot"] == 22819.6
    assert message["atm_strike"] == 22800.0
    assert len(message["rows"]) == 2 * len(STRIKES)
    ce_22700 = next(r for r in message["rows"] if r["key"] == "2026-03-30:22700:CE")
    assert ce_22700["last_price"] == 269.6  # intrinsic 119.6 + 150
    assert ce_22700["change"] == 129.6
    assert ce_22700["strike_offset"] == -2
    assert ce_22700["tradingsymbol"] == "NIFTY26033022700CE"
    assert message["removed"] == []
    await communicator.disconnect()


async def test_it_accepts_an_api_token_without_a_session() -> None:
    user, _ = await _trader()
    token = await sync_to_async(api_token_create)(user=user)
    nifty = await sync_to_async(underlying_create)()
    await sync_to_async(chain_write)(nifty, minute=MINUTE_1)
    communicator = _communicator(f"/ws/live-data/?symbol=nifty&token={token.key}")
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_json_from()
    assert message["type"] == "chain.update"
    assert len(message["rows"]) == 10
    await communicator.disconnect()


async def test_it_refuses_an_unknown_symbol_with_4400_and_names_the_known_ones() -> None:
    _, cookie = await _trader()
    await sync_to_async(underlying_create)()
    await sync_to_async(underlying_create)("BANKNIFTY", token=260105, order=1)
    error, close = await _refusal(_communicator("/ws/live-data/?symbol=NIFTI", cookie=cookie))
    assert error["error"] == "Unknown symbol 'NIFTI'; choose one of: NIFTY, BANKNIFTY."
    assert close["code"] == 4400


async def test_it_refuses_an_unknown_bucket_with_4400() -> None:
    _, cookie = await _trader()
    await sync_to_async(underlying_create)()
    error, close = await _refusal(_communicator("/ws/live-data/?symbol=NIFTY&bucket=today", cookie=cookie))
    assert error["error"].startswith("Unknown bucket 'today'; choose one of: this_week, next_week,")
    assert close["code"] == 4400


async def test_it_sends_only_the_rows_that_changed_after_a_collection() -> None:
    _, cookie = await _trader()
    nifty = await sync_to_async(underlying_create)()
    await sync_to_async(chain_write)(nifty, minute=MINUTE_1)
    communicator = _communicator("/ws/live-data/?symbol=NIFTY", cookie=cookie)
    await communicator.connect()
    first = await communicator.receive_json_from()
    assert len(first["rows"]) == 10

    await sync_to_async(chain_write)(nifty, minute=MINUTE_2, bump={(22800.0, "CE"): 3.5, (22900.0, "PE"): -2.0})
    await _publish(minute=MINUTE_2, underlying_ids=[nifty.pk])
    update = await communicator.receive_json_from()
    assert update["full"] is False
    assert update["minute"] == "2026-03-27T04:01:00+00:00"
    assert {r["key"]: r["last_price"] for r in update["rows"]} == {
        "2026-03-30:22800:CE": 173.1,  # 19.6 + 150 + 3.5
        "2026-03-30:22900:PE": 228.4,  # 80.4 + 150 - 2
    }
    assert update["removed"] == []
    await communicator.disconnect()


async def test_it_reports_strikes_that_left_the_window_as_removed() -> None:
    _, cookie = await _trader()
    nifty = await sync_to_async(underlying_create)()
    await sync_to_async(chain_write)(nifty, minute=MINUTE_1)
    communicator = _communicator("/ws/live-data/?symbol=NIFTY", cookie=cookie)
    await communicator.connect()
    await communicator.receive_json_from()

    await sync_to_async(chain_write)(nifty, minute=MINUTE_2, strikes=(*STRIKES[1:], 22950.0))
    await _publish(minute=MINUTE_2, underlying_ids=[nifty.pk])
    update = await communicator.receive_json_from()
    assert sorted(update["removed"]) == ["2026-03-30:22700:CE", "2026-03-30:22700:PE"]
    assert {r["key"] for r in update["rows"]} >= {"2026-03-30:22950:CE", "2026-03-30:22950:PE"}
    await communicator.disconnect()


async def test_it_sends_a_chain_only_to_clients_of_that_symbol_and_bucket() -> None:
    _, cookie = await _trader()
    nifty = await sync_to_async(underlying_create)()
    bank = await sync_to_async(underlying_create)("BANKNIFTY", token=260105, order=1)
    nifty_weekly = _communicator("/ws/live-data/?symbol=NIFTY&bucket=this_week", cookie=cookie)
    nifty_monthly = _communicator("/ws/live-data/?symbol=NIFTY&bucket=this_month", cookie=cookie)
    bank_monthly = _communicator("/ws/live-data/?symbol=BANKNIFTY&bucket=this_month", cookie=cookie)
    for communicator in (nifty_weekly, nifty_monthly, bank_monthly):
        connected, _ = await communicator.connect()
        assert connected

    await sync_to_async(chain_write)(
        bank, minute=MINUTE_1, spot=52274.6, strikes=(52100.0, 52200.0, 52300.0), expiry=MONTHLY, bucket="this_month"
    )
    await _publish(minute=MINUTE_1, underlying_ids=[bank.pk])
    message = await bank_monthly.receive_json_from()
    assert (message["symbol"], message["bucket"], message["atm_strike"]) == ("BANKNIFTY", "this_month", 52300.0)
    assert len(message["rows"]) == 6
    assert await nifty_weekly.receive_nothing()
    assert await nifty_monthly.receive_nothing()

    await sync_to_async(chain_write)(nifty, minute=MINUTE_1)
    await _publish(minute=MINUTE_1, underlying_ids=[nifty.pk])
    message = await nifty_weekly.receive_json_from()
    assert (message["symbol"], message["bucket"]) == ("NIFTY", "this_week")
    assert await nifty_monthly.receive_nothing()  # NIFTY had no monthly rows at that minute
    assert await bank_monthly.receive_nothing()
    for communicator in (nifty_weekly, nifty_monthly, bank_monthly):
        await communicator.disconnect()


class FastHealthConsumer(SystemHealthConsumer):
    interval_seconds = 0.01


async def test_it_sends_health_at_once_and_again_every_interval() -> None:
    user, _ = await _trader()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await FastHealthConsumer.as_asgi()({**scope, "user": user}, receive, send)

    communicator = WebsocketCommunicator(app, "/ws/system-health/")
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from()
    second = await communicator.receive_json_from()
    for message in (first, second):
        assert message["type"] == "system.health"
        assert message["version"] == 1
        components = {c["name"]: c for c in message["health"]["components"]}
        assert components["database"]["status"] == "ok"
        assert components["collection"]["data"]["last_run_at"] is None
        assert message["errors"] == [] and message["deliveries"] == []
    await communicator.disconnect()


async def test_it_sends_health_over_the_routed_feed_to_a_session_user() -> None:
    _, cookie = await _trader()
    communicator = _communicator("/ws/system-health/", cookie=cookie)
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_json_from()
    assert message["type"] == "system.health"
    assert set(message) == {"type", "version", "health", "errors", "deliveries", "quality"}
    assert set(message["health"]) == {"status", "checked_at", "components", "heartbeats"}
    names = [c["name"] for c in message["health"]["components"]]
    assert names[:3] == ["database", "redis", "broker"] and {"worker", "beat", "collection", "analytics"} <= set(names)
    await communicator.disconnect()


@sync_to_async
def _snapshot(underlying: Any, **values: Any) -> None:
    from apps.analytics.models import ChainSnapshot

    ChainSnapshot.objects.create(
        underlying=underlying, minute=MINUTE_1, t_years=3 / 365, spot=22819.6, forward=22839.6, **values
    )


async def test_it_sends_the_chain_summary_after_analytics_to_that_symbols_clients_only() -> None:
    _, cookie = await _trader()
    nifty = await sync_to_async(underlying_create)()
    await sync_to_async(underlying_create)("BANKNIFTY", token=260105, order=1)
    await sync_to_async(chain_write)(nifty, minute=MINUTE_1)
    await _snapshot(
        nifty,
        expiry=MONTHLY,
        expiry_bucket="this_month",
        forward_source="parity",
        atm_strike=22850.0,
        pcr_oi=0.9089,
        max_pain=22900.0,
    )
    await _snapshot(
        nifty,
        expiry=WEEKLY,
        expiry_bucket="this_week",
        forward_source="parity",
        atm_strike=22850.0,
        atm_iv=0.1834,
        straddle=426.0,
        pcr_oi=0.8809,
        pcr_volume=1.2256,
        max_pain=23000.0,
        total_call_oi=6500,
        total_put_oi=5726,
    )
    nifty_client = _communicator("/ws/analytics/?symbol=NIFTY", cookie=cookie)
    bank_client = _communicator("/ws/analytics/?symbol=BANKNIFTY", cookie=cookie)
    chain_client = _communicator("/ws/live-data/?symbol=NIFTY", cookie=cookie)
    for communicator in (nifty_client, bank_client, chain_client):
        connected, _ = await communicator.connect()
        assert connected
    await chain_client.receive_json_from()  # the snapshot sent on connect

    await sync_to_async(analytics_committed.send)(sender=None, underlying_id=nifty.pk, minute=MINUTE_1)
    message = await nifty_client.receive_json_from()
    assert (message["type"], message["version"], message["symbol"]) == ("analytics.summary", 1, "NIFTY")
    assert message["minute"] == "2026-03-27T04:00:00+00:00"
    assert [e["expiry"] for e in message["expiries"]] == ["2026-03-30", "2026-04-28"]
    weekly = message["expiries"][0]
    assert weekly["bucket"] == "this_week"
    assert (weekly["pcr_oi"], weekly["pcr_volume"], weekly["max_pain"]) == (0.8809, 1.2256, 23000.0)
    assert (weekly["atm_iv"], weekly["straddle"], weekly["total_put_oi"]) == (0.1834, 426.0, 5726)
    assert await bank_client.receive_nothing()
    # The chain is re-sent after analytics; nothing in it changed here, so the update carries no rows.
    update = await chain_client.receive_json_from()
    assert (update["full"], update["rows"], update["removed"]) == (False, [], [])
    for communicator in (nifty_client, bank_client, chain_client):
        await communicator.disconnect()
