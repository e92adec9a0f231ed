"""``channels.testing.WebsocketCommunicator`` without daphne.

``channels/testing/__init__.py`` imports the daphne live server, and daphne needs autobahn>=22.4 while
kiteconnect pins autobahn 19.11.2, so daphne is not installed. The communicator itself needs only asgiref:
load the package without its ``__init__`` and import the real class from its module.
"""

from __future__ import annotations

import importlib.util
import sys

try:
    from channels.testing import WebsocketCommunicator
except ModuleNotFoundError as exc:
    if exc.name != "daphne":
        raise
    spec = importlib.util.find_spec("channels.testing")
    assert spec is not None
    sys.modules["channels.testing"] = importlib.util.module_from_spec(spec)
    from channels.testing.websocket import WebsocketCommunicator

__all__ = ["WebsocketCommunicator"]
