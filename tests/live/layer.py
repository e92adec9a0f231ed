"""Listening to channel-layer groups from synchronous tests."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def group_listen(group: str) -> str:
    """A channel added to ``group``. A plain (not process-specific) channel: each async_to_sync call runs
    its own event loop, and channels_redis binds the receive buffer of a process-specific channel to one loop."""
    channel = f"listener.{group}"
    async_to_sync(get_channel_layer().group_add)(group, channel)
    return channel


def channel_next(channel: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The next message on ``channel``, or None when none arrives within ``timeout``."""

    async def receive() -> dict[str, Any] | None:
        try:
            return await asyncio.wait_for(get_channel_layer().receive(channel), timeout)
        except TimeoutError:
            return None

    return async_to_sync(receive)()
