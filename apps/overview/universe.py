"""The overview's universes, read from the data files in apps/overview/data/ (rebalanced twice a year)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
UNIVERSE_NIFTY50 = "NIFTY 50"


@dataclass(frozen=True)
class SectorIndex:
    kite_symbol: str
    instrument_token: int
    nse_name: str
    label: str

    @property
    def key(self) -> str:
        return f"NSE:{self.kite_symbol}"


@cache
def nifty50_symbols() -> tuple[str, ...]:
    """NSE symbols of the NIFTY 50 constituents (Kite equity tradingsymbols are the same)."""
    with (DATA_DIR / "nifty50.csv").open(newline="") as handle:
        return tuple(row["symbol"].strip() for row in csv.DictReader(handle))


@cache
def sector_indices() -> tuple[SectorIndex, ...]:
    with (DATA_DIR / "sectors.csv").open(newline="") as handle:
        return tuple(
            SectorIndex(
                kite_symbol=row["kite_symbol"].strip(),
                instrument_token=int(row["instrument_token"]),
                nse_name=row["nse_name"].strip(),
                label=row["label"].strip(),
            )
            for row in csv.DictReader(handle)
        )


def constituent_key(symbol: str) -> str:
    return f"NSE:{symbol}"
