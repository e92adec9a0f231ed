"""Read NSE's published India VIX daily history from a CSV file: pure parsing, no database.

Three layouts are accepted, recognised by their header (names compared without case and surrounding spaces):

* ``date,open,high,low,close``: a plain daily history (the fixture ``india_vix_daily_*.csv``), ISO dates;
* NSE's historical India VIX download: ``Date, Open, High, Low, Close, Prev. Close, Change, % Change``, dates
  like ``24-Mar-2026`` (the last three columns are not needed and not read);
* NSE's daily index close ``ind_close_all_DDMMYYYY.csv``: ``Index Name, Index Date, Open Index Value, High Index
  Value, Low Index Value, Closing Index Value, ...``, of which only the ``India VIX`` row is read.

Dates may be ``YYYY-MM-DD``, ``DD-Mon-YYYY`` or ``DD-MM-YYYY``. Every value is checked (a positive number, the
open and the close within the day's low and high, one row per date) and the first problem raises
``IndiaVixFileError`` naming the line and the column, so a caller can store all of a file or nothing.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime

FIELDS: tuple[str, ...] = ("date", "open", "high", "low", "close")
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "date": ("date", "index date"),
    "open": ("open", "open index value"),
    "high": ("high", "high index value"),
    "low": ("low", "low index value"),
    "close": ("close", "closing index value"),
}
"""Field → the header names that carry it (lower case), in the three layouts."""
INDEX_NAME = "index name"
INDIA_VIX = "india vix"
DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d-%m-%Y")


class IndiaVixFileError(ValueError):
    """A file that is not a usable India VIX history; the message names the line and column."""


@dataclass(frozen=True)
class VixDay:
    date: date
    open: float
    high: float
    low: float
    close: float
    line: int


def _date(value: str, *, line: int, column: str) -> date:
    text = value.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise IndiaVixFileError(
        f"line {line}, column {column}: {value!r} is not a date (YYYY-MM-DD, DD-Mon-YYYY or DD-MM-YYYY)"
    )


def _number(value: str, *, line: int, column: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise IndiaVixFileError(f"line {line}, column {column}: {value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise IndiaVixFileError(f"line {line}, column {column}: {value!r} is not a positive number")
    return number


def _columns(header: list[str]) -> tuple[dict[str, int], int | None]:
    names = [cell.strip().lower() for cell in header]
    at: dict[str, int] = {}
    for name, spellings in HEADER_NAMES.items():
        found = [names.index(s) for s in spellings if s in names]
        if found:
            at[name] = found[0]
    missing = [name for name in FIELDS if name not in at]
    if missing:
        raise IndiaVixFileError(
            f"line 1: not an India VIX history: no column for {', '.join(missing)} (header: {', '.join(header)})"
        )
    return at, names.index(INDEX_NAME) if INDEX_NAME in names else None


def india_vix_parse(text: str) -> list[VixDay]:
    """The sessions of the file, oldest first."""
    head = text[:2000].lower()
    if "<html" in head or "<!doctype" in head:
        raise IndiaVixFileError("line 1: this is an HTML page, not a CSV file")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, [])
    if not any(cell.strip() for cell in header):
        raise IndiaVixFileError("line 1: the file is empty (no header)")
    at, index_name = _columns(header)
    width = max(at.values()) + 1
    days: dict[date, VixDay] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if index_name is not None and (len(cells) <= index_name or cells[index_name].strip().lower() != INDIA_VIX):
            continue  # ind_close_all: another index
        if len(cells) < width:
            raise IndiaVixFileError(f"line {line} has {len(cells)} fields; the header has {len(header)}")
        day = _date(cells[at["date"]], line=line, column=header[at["date"]].strip())
        values = {
            name: _number(cells[at[name]], line=line, column=header[at[name]].strip())
            for name in ("open", "high", "low", "close")
        }
        low, high = values["low"], values["high"]
        if high < low:
            raise IndiaVixFileError(
                f"line {line}, column {header[at['high']].strip()}: the high {high:g} is below the low {low:g}"
            )
        for name in ("open", "close"):
            if not low <= values[name] <= high:
                raise IndiaVixFileError(
                    f"line {line}, column {header[at[name]].strip()}: {values[name]:g} is outside the day's range "
                    f"{low:g} to {high:g}"
                )
        if day in days:
            column = header[at["date"]].strip()
            first = days[day].line
            raise IndiaVixFileError(f"line {line}, column {column}: {day} appears again (first on line {first})")
        days[day] = VixDay(date=day, line=line, **values)
    if not days:
        raise IndiaVixFileError("no India VIX rows after the header")
    return [days[d] for d in sorted(days)]
