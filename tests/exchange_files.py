"""Where the real exchange files among the fixtures live (origins: tests/fixtures/exchange/README.md)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXCHANGE = FIXTURES / "exchange"
FO_BHAVCOPY = EXCHANGE / "fo_bhavcopy"
"""NSE F&O UDiFF bhavcopies, one underlying per file: ``<SYMBOL>_<YYYYMMDD>.csv``."""
PARTICIPANTS = EXCHANGE / "participants"
INDIA_VIX_DAILY = EXCHANGE / "indices" / "india_vix_daily_2025-08-01_to_2026-09-04.csv"
INDEX_CLOSE_03MAR2025 = EXCHANGE / "indices" / "ind_close_all_03032025.csv"
CM_BHAVCOPY_03MAR2025 = EXCHANGE / "cm" / "sec_bhavdata_full_03Mar2025.csv"
