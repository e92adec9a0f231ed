"""/ws/alerts/: a firing reaches its owner's feed, and nobody else's."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from apps.alerts.models import AlertEvent, AlertRule
from apps.alerts.services.deliveries import deliveries_for_event, delivery_send
from apps.market.models import Underlying
from optrading.routing import websocket_application
from tests.alerts.conftest import START
from tests.factories.market import UnderlyingFactory
from tests.live.chain import session_cookie
from tests.live.communicator import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")


@sync_to_async
def _users() -> tuple[User, bytes, bytes]:
    owner = User.objects.create_user("owner")
    other = User.objects.create_user("other")
    return owner, session_cookie(owner), session_cookie(other)


@sync_to_async
def _fire(owner: User) -> int:
    nifty: Underlying = UnderlyingFactory()
    rule = AlertRule.objects.create(
        owner=owner, underlying=nifty, metric="pcr_oi", condition="above", value=1.2, channels=["websocket"]
    )
    event = AlertEvent.objects.create(
        rule=rule, minute=START, value=1.3, message="NIFTY PCR (OI) above 1.2", fired_at=START
    )
    (delivery,) = deliveries_for_event(event, now=START)
    sent = delivery_send(delivery.pk)
    assert sent is not None and sent.status == "sent"
    return event.pk


async def test_a_firing_reaches_its_owner_only() -> None:
    owner, owner_cookie, other_cookie = await _users()
    mine = WebsocketCommunicator(websocket_application, "/ws/alerts/", headers=[ORIGIN, (b"cookie", owner_cookie)])
    theirs = WebsocketCommunicator(websocket_application, "/ws/alerts/", headers=[ORIGIN, (b"cookie", other_cookie)])
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    event_id = await _fire(owner)
    message = await mine.receive_json_from(timeout=5)
    assert message["type"] == "alert.fired" and message["event_id"] == event_id
    assert message["message"] == "NIFTY PCR (OI) above 1.2" and message["value"] == 1.3
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()
    await asyncio.sleep(0)
