from __future__ import annotations

from pathlib import Path

import pytest

from tests.exchange_files import CM_BHAVCOPY_03MAR2025


@pytest.fixture
def cm_bhavcopy_03mar2025() -> Path:
    """NSE full CM bhavcopy of 03-Mar-2025 (origin: tests/fixtures/exchange/README.md)."""
    return CM_BHAVCOPY_03MAR2025
