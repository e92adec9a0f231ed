"""A client that goes away ends its consumer whole: nothing it started keeps running.

When a consumer stops, channels cancels its pending channel-layer receive. On Python 3.11, ``asyncio.wait_for``
loses a cancellation that arrives as the future it waits on completes (CPython gh-86296, fixed in 3.12), and
redis-py sends every command through ``wait_for(drain, socket_timeout)``: with a socket timeout on the channel
layer's connection the receive lived on, polling Redis every 5 s for a client that had left, and the consumer
awaiting it never ended. The layer's connection has no socket timeout (``optrading/settings/base.py`` says why
that is safe). With one back, the refused client's test fails every time (its cancellation lands in that window);
the subscribed clients' tests did not hit it in our runs and guard the same path for them.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from optrading.routing import websocket_application
from tests.live.chain import session_cookie, underlying_create
from tests.live.communicator import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")
ENDS_WITHIN = 3.0
"""Seconds a consumer gets to end after its client left (it takes milliseconds; the bug made it never end)."""


def _layer_receives() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if "RedisChannelLayer.receive" in repr(task.get_coro())]


async def _disconnected_cleanly(communicator: WebsocketCommunicator) -> None:
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    done, _ = await asyncio.wait({communicator._future}, timeout=ENDS_WITHIN)
    assert communicator._future in done, "the consumer was still running after its client left"
    assert communicator._future.exception() is None
    await asyncio.sleep(0)  # a cancelled receive finishes on the loop's next turn
    assert _layer_receives() == []


async def test_a_refused_client_leaves_nothing_running() -> None:
    await sync_to_async(underlying_create)()
    communicator = WebsocketCommunicator(websocket_application, "/ws/live-data/?symbol=NIFTY", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["code"] == 4401
    assert (await communicator.receive_output())["code"] == 4401
    await _disconnected_cleanly(communicator)


@pytest.mark.parametrize("path", ["/ws/live-data/?symbol=NIFTY", "/ws/analytics/?symbol=NIFTY", "/ws/system-health/"])
async def test_a_subscribed_client_that_leaves_ends_its_consumer(path: str) -> None:
    @sync_to_async
    def trader_cookie() -> bytes:
        underlying_create()
        return session_cookie(User.objects.create_user("trader", password="pw-not-used"))

    headers = [ORIGIN, (b"cookie", await trader_cookie())]
    communicator = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping"})
    while (message := await communicator.receive_json_from()).get("type") != "pong":
        assert message.get("type") != "error", message
    await _disconnected_cleanly(communicator)
