"""The Kite double and its settings, shared with the broker tests."""

from __future__ import annotations

from tests.brokers.kite.conftest import kite_double, kite_settings

__all__ = ["kite_double", "kite_settings"]
