"""Whatever a client sends a feed (not JSON, wrong types, binary, oversized) or asks for (an unknown or hostile
symbol, a hostile token) gets an error message back and never crashes the consumer: after a bad message the
same connection still answers a ping. Real Channels routing and the Redis channel layer, as the other live
tests."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from apps.core.api_tokens import api_token_create
from apps.live.consumers import CLOSE_BAD_REQUEST, MAX_CLIENT_MESSAGE
from optrading.routing import websocket_application
from tests.live.chain import underlying_create
from tests.live.communicator import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")
FEEDS = ["/ws/live-data/?symbol=NIFTY", "/ws/analytics/?symbol=NIFTY", "/ws/system-health/", "/ws/alerts/"]


@sync_to_async
def _token() -> str:
    underlying_create()
    user = User.objects.create_user("trader", password="pw-not-used")
    return api_token_create(user=user).key


async def _connected(path: str, token: str) -> WebsocketCommunicator:
    joiner = "&" if "?" in path else "?"
    communicator = WebsocketCommunicator(websocket_application, f"{path}{joiner}token={token}", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _next_reply(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The next error or pong, skipping the feed's own messages (the first chain, health ticks)."""
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] in ("error", "pong"):
            return message


BAD_MESSAGES: list[tuple[dict[str, Any], str]] = [
    ({"text_data": "not json"}, "Not JSON: 'not json'."),
    ({"text_data": "{"}, "Not JSON"),
    ({"text_data": "[1, 2]"}, 'a JSON object with a string "type"'),
    ({"text_data": '"ping"'}, 'a JSON object with a string "type"'),
    ({"text_data": '{"type": 5}'}, 'a JSON object with a string "type"'),
    ({"text_data": '{"kind": "ping"}'}, 'a JSON object with a string "type"'),
    ({"text_data": '{"type": "subscribe", "symbol": "XYZ"}'}, "Unknown message type 'subscribe'"),
    ({"text_data": "x" * (MAX_CLIENT_MESSAGE + 1)}, f"A message of {MAX_CLIENT_MESSAGE + 1:,} characters"),
    ({"text_data": '{"type": "' + "p" * 100_000 + '"}'}, "characters; at most"),
    ({"bytes_data": b"\x00\x01\x02"}, "Binary frames are not accepted"),
    ({"text_data": '{"type": "ping", "n": 1e999}'}, None),  # Infinity parses; a ping is a ping
]


@pytest.mark.parametrize("path", FEEDS)
async def test_every_bad_message_gets_an_error_and_the_feed_keeps_answering(path: str) -> None:
    communicator = await _connected(path, await _token())
    try:
        for frame, expected in BAD_MESSAGES:
            await communicator.send_to(**frame)
            reply = await _next_reply(communicator)
            if expected is None:
                assert reply == {"type": "pong", "version": 1}
                continue
            assert reply["type"] == "error" and reply["code"] == CLOSE_BAD_REQUEST, (frame, reply)
            assert expected in reply["error"], (frame, reply)
            assert len(reply["error"]) < 200  # a huge message is not echoed back
        await communicator.send_json_to({"type": "ping"})
        assert await _next_reply(communicator) == {"type": "pong", "version": 1}
    finally:
        await communicator.disconnect()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("symbol=XYZ", "Unknown symbol 'XYZ'; choose one of: NIFTY."),
        ("symbol=NIF%00TY", "Unknown symbol 'NIF\\x00TY'; choose one of: NIFTY."),
        ("symbol=" + "N" * 5000, "Unknown symbol '" + "N" * 32 + "'"),
        ("symbol=%F0%9F%92%A5", "Unknown symbol"),
        ("symbol=NIFTY&bucket=" + "b" * 5000, "Unknown bucket '" + "b" * 32 + "'"),
    ],
)
async def test_an_unknown_or_hostile_symbol_is_refused_with_an_error_message(query: str, expected: str) -> None:
    token = await _token()
    communicator = WebsocketCommunicator(
        websocket_application, f"/ws/live-data/?{query}&token={token}", headers=[ORIGIN]
    )
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from(timeout=5)
    close = await communicator.receive_output(timeout=5)
    await communicator.disconnect()  # the consumer ends here, so no task of it is left for the loop to cancel

    assert error["type"] == "error" and error["code"] == CLOSE_BAD_REQUEST
    assert expected in error["error"]
    assert close == {"type": "websocket.close", "code": CLOSE_BAD_REQUEST}


@pytest.mark.parametrize("token", ["%00", "x" * 5000, "%F0%9F%92%A5", "a'%20OR%201=1"])
async def test_a_hostile_token_is_refused_with_an_error_message(token: str) -> None:
    await _token()
    communicator = WebsocketCommunicator(
        websocket_application, f"/ws/live-data/?symbol=NIFTY&token={token}", headers=[ORIGIN]
    )
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from(timeout=5)
    close = await communicator.receive_output(timeout=5)
    await communicator.disconnect()

    assert error["type"] == "error" and error["code"] == 4401
    assert close["code"] == 4401
