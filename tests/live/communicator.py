"""``channels.testing.WebsocketCommunicator`` without daphne.

``channels/testing/__init__.py`` imports the daphne live server, and daphne needs autobahn>=22.4 while
kiteconnect pins autobahn 19.11.2, so daphne is not installed. The communicator itself needs only asgiref:
load the package without its ``__init__`` and import the real class from its module.

Every communicator a test makes is disconnected when the test ends (``communicators_disconnect``, through the
``communicators_disconnected`` fixture of ``tests/conftest.py``, autouse under ``tests/live/``). A consumer left
running (a test that reads a refusal and stops there) was otherwise cancelled with everything else when
pytest-asyncio closed the test's event loop, and that cancellation, in the middle of channels_redis's blocking
receive, at times never finished: the worker hung until CI's time ran out. A disconnect ends the consumer the way a
browser does, through its own ``disconnect``.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, ClassVar

try:
    from channels.testing import WebsocketCommunicator as _Communicator
except ModuleNotFoundError as exc:
    if exc.name != "daphne":
        raise
    spec = importlib.util.find_spec("channels.testing")
    assert spec is not None
    sys.modules["channels.testing"] = importlib.util.module_from_spec(spec)
    from channels.testing.websocket import WebsocketCommunicator as _Communicator


class WebsocketCommunicator(_Communicator):  # type: ignore[misc]
    """Channels' communicator, remembered until the test ends so that it can be disconnected."""

    made: ClassVar[list[WebsocketCommunicator]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        WebsocketCommunicator.made.append(self)


async def communicators_disconnect() -> None:
    """Disconnect every communicator still running; one that never started or has already ended is left be."""
    while WebsocketCommunicator.made:
        communicator = WebsocketCommunicator.made.pop()
        future = communicator._future
        if future is None:
            continue
        if future.done():
            if not future.cancelled():
                future.exception()  # retrieved: the test saw it, or did not care
            continue
        await communicator.disconnect(timeout=5)


__all__ = ["WebsocketCommunicator", "communicators_disconnect"]
