"""The MCP server over streamable HTTP, served by uvicorn on a loopback port as `mcp_server --transport http`
serves it: each request authenticates with its own `Authorization: Token <key>` header."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import uvicorn
from asgiref.sync import SyncToAsync
from django.contrib.auth.models import User
from django.db import connections
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from apps.api.mcp_tools import build_server
from apps.core.api_tokens import api_token_create


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(transactional_db) -> Iterator[str]:
    """The HTTP app in a thread; the tools' database work runs on asgiref's thread, whose connection is closed
    afterwards so the test database can be flushed."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(build_server().streamable_http_app(), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=20)
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def alerts_over_http(url: str, headers: dict[str, str]) -> Any:
    async def go() -> Any:
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            return await client.call_tool("alerts", {})

    return asyncio.run(go())


def test_each_http_request_is_authenticated_by_its_own_token(http_server) -> None:
    user = User.objects.create_user("agent", password="not-used-123")
    key = api_token_create(user=user).key

    allowed = alerts_over_http(http_server, {"Authorization": f"Token {key}"})
    bearer = alerts_over_http(http_server, {"Authorization": f"Bearer {key}"})
    refused = alerts_over_http(http_server, {"Authorization": "Token " + "0" * 40})
    anonymous = alerts_over_http(http_server, {})

    assert not allowed.is_error and allowed.structured_content == {"events": []}
    assert not bearer.is_error
    assert refused.is_error and "Not authenticated" in refused.content[0].text
    assert anonymous.is_error and "Not authenticated" in anonymous.content[0].text
