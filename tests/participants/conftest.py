from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exchange" / "participants"


@pytest.fixture
def oi_28jul2026() -> Path:
    return FIXTURES / "fao_participant_oi_28072026.csv"


@pytest.fixture
def oi_13jul2015() -> Path:
    return FIXTURES / "fao_participant_oi_13072015.csv"


@pytest.fixture
def vol_19aug2026() -> Path:
    return FIXTURES / "fao_participant_vol_19082026.csv"
