"""A loopback Kite Connect double (REST, and a WebSocket ticker) for tests. See server.py."""

from __future__ import annotations

from tests.kite_double.server import Fault, KiteDouble
from tests.kite_double.ticker import KiteTickerDouble

__all__ = ["Fault", "KiteDouble", "KiteTickerDouble"]
