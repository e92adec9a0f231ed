"""One client that never reads delays no other (docs/live.md argued it; this runs it against a real server).

A real uvicorn serves the feeds; the slow client completes the websocket handshake with a 4 kB receive buffer
and then never reads, so once the kernel buffers between it and the server are full its consumer is stuck in
its send. Large chain updates are then published to the group: every other client must still receive every
one of them while the slow one is stuck.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User

from apps.core.api_tokens import api_token_create
from apps.live.publisher import PAYLOAD_VERSION, chain_group
from tests.live.chain import underlying_create
from tests.web.asgi_server import asgi_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MESSAGES = 30
ROWS = 1000  # about 330 kB of JSON per update: 10 MB in all, more than the kernel buffers between the two ends


def _message(n: int) -> dict[str, Any]:
    rows = [
        {
            "key": f"2026-03-30:{20000 + 50 * i}:{kind}",
            "tradingsymbol": f"NIFTY26033{20000 + 50 * i}{kind}",
            "expiry": "2026-03-30",
            "strike": 20000.0 + 50 * i,
            "option_type": kind,
            "strike_offset": i - ROWS // 4,
            "last_price": 100.0 + n + i / 100,  # every row changes every message: all of it is sent
            "average_price": 100.0,
            "close_price": 90.0,
            "change": 10.0 + n,
            "volume": 1000 * i,
            "oi": 65 * i,
            "oi_change": 65,
            "bid": 99.9,
            "ask": 100.1,
            "iv": 0.18,
            "delta": 0.5,
            "gamma": 0.001,
            "theta": -9.0,
            "vega": 8.0,
            "buildup": "long_buildup",
        }
        for i in range(ROWS // 2)
        for kind in ("CE", "PE")
    ]
    return {
        "type": "chain.update",
        "version": PAYLOAD_VERSION,
        "symbol": "NIFTY",
        "bucket": "this_week",
        "minute": f"2026-03-27T04:{n:02d}:00+00:00",
        "spot": 22819.6,
        "forward": 22839.6,
        "atm_strike": 22800.0,
        "rows": rows,
    }


def _max_send_buffer() -> int:
    """The largest send buffer TCP autotuning may give the server's socket (the third figure of tcp_wmem)."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as limits:
        return int(limits.read().split()[2])


def _never_reading(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://{parts.hostname}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n", 1)[0], head
    return sock


def test_a_client_that_never_reads_delays_no_other_client() -> None:
    import websockets

    underlying_create()
    token = api_token_create(user=User.objects.create_user("trader")).key
    with asgi_server() as base:
        url = base.replace("http://", "ws://") + f"/ws/live-data/?symbol=NIFTY&bucket=this_week&token={token}"

        async def scenario() -> tuple[list[list[str]], int]:
            fast = [await websockets.connect(url, origin=base, max_size=None, ping_interval=None) for _ in range(4)]
            slow = _never_reading(url)
            await asyncio.sleep(0.5)  # every consumer has joined the group
            layer = get_channel_layer()
            for n in range(MESSAGES):
                await layer.group_send(chain_group(symbol="NIFTY", bucket="this_week"), _message(n))

            async def receive_all(ws: Any) -> list[str]:
                minutes = []
                while len(minutes) < MESSAGES:
                    minutes.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=30))["minute"])
                return minutes

            received = await asyncio.gather(*(receive_all(ws) for ws in fast))
            slow.close()
            for ws in fast:
                await ws.close()
            return received, sum(len(json.dumps(_message(n))) for n in range(MESSAGES))

        received, sent = async_to_sync(scenario)()

    expected = [f"2026-03-27T04:{n:02d}:00+00:00" for n in range(MESSAGES)]
    assert all(minutes == expected for minutes in received)
    # The slow client's send could not have completed: what was sent to it exceeds the most the kernel buffers
    # (its 4 kB receive buffer, doubled, and the server's send buffer at its maximum).
    assert sent > 2 * 4096 + _max_send_buffer()
