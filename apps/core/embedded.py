"""The embedded platform runs web server, worker and beat in one process (no Redis).

The in-memory channel layer lives on the web server's event loop; code on other threads (the
worker) must hand it coroutines through ``run_on_server_loop`` instead of a private loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _server_loop
    _server_loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The web server's loop when running embedded and called from another thread, else None."""
    if _server_loop is None or _server_loop.is_closed():
        return None
    try:
        if asyncio.get_running_loop() is _server_loop:
            return None
    except RuntimeError:
        pass
    return _server_loop


def run_on_server_loop(coro: Coroutine[Any, Any, Any], timeout: float = 5.0) -> bool:
    """Run ``coro`` on the embedded server's loop; False (coro closed) when not embedded."""
    loop = server_loop()
    if loop is None:
        coro.close()
        return False
    asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=timeout)
    return True
