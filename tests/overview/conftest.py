from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture
def cm_bhavcopy_03mar2025() -> Path:
    """NSE full CM bhavcopy of 03-Mar-2025 (shared/data/nse_cm; origin in shared/data/README.md)."""
    return SHARED_DATA / "nse_cm" / "sec_bhavdata_full_03Mar2025.csv"
