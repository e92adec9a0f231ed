"""A loopback Kite Connect double (REST, and a WebSocket ticker) for tests. See server.py."""

from __future__ import annotations

from tests.kite_double.server import Fault, KiteDouble

__all__ = ["Fault", "KiteDouble"]
