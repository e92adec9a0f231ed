"""The websocket tests: every communicator a test makes is disconnected when it ends."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _communicators_disconnected(communicators_disconnected: None) -> None:
    """Autouse for this directory: the root conftest's fixture (an async one) for every test here."""
