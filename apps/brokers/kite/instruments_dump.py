"""Read Kite's instruments dump (CSV, 12 columns) into rows, refusing a broken dump with the line and column.

Pure Python, no Django. The rows have the types pykiteconnect gives them (token and lot size int, prices
float, expiry a date or ""), so the instruments sync checks them as before; what this adds is that a truncated,
garbled, wrongly encoded, oversized or hostile dump is refused with a message saying where, instead of an
exception from deep inside a parser.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from typing import Any

from apps.market.clock import day_out_of_range

DUMP_COLUMNS = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)
MAX_DUMP_BYTES = 64 * 1024 * 1024
"""Kite's full dump is about 10 MB; past this it is not one."""
MAX_NUMBER = 1e15
MAX_TEXT = 64
_INTEGERS = ("instrument_token", "lot_size")
_FLOATS = ("last_price", "strike", "tick_size")
_TEXTS = ("exchange_token", "tradingsymbol", "name", "instrument_type", "segment", "exchange")
_FORMULA_START = ("=", "+", "@")


class InstrumentsDumpError(ValueError):
    """A dump that is not Kite's instruments CSV, with where it breaks."""


def instruments_dump_parse(data: bytes | str, *, max_bytes: int = MAX_DUMP_BYTES) -> list[dict[str, Any]]:
    """The dump's rows, typed as pykiteconnect types them; InstrumentsDumpError naming the line and column."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise InstrumentsDumpError(f"the dump is {len(raw):,} bytes; at most {max_bytes:,} are read")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw:
        raise InstrumentsDumpError("the dump holds NUL bytes (UTF-16 or binary); Kite sends UTF-8 CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InstrumentsDumpError(f"line {line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text.strip()))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        missing = [column for column in DUMP_COLUMNS if column not in header]
        if missing:
            raise InstrumentsDumpError(f"line 1: missing column(s) {', '.join(missing)}; not Kite's instruments dump")
        at = {column: header.index(column) for column in DUMP_COLUMNS}
        return [_row(cells, at=at, line=reader.line_num) for cells in reader]
    except csv.Error as exc:
        raise InstrumentsDumpError(f"line {reader.line_num}: not readable as CSV ({exc})") from None


def _row(cells: list[str], *, at: dict[str, int], line: int) -> dict[str, Any]:
    if len(cells) < len(at):
        raise InstrumentsDumpError(f"line {line}: {len(cells)} fields; the header has {len(at)}")
    row: dict[str, Any] = {column: cells[index] for column, index in at.items()}
    for column in _TEXTS:
        value = row[column]
        if len(value) > MAX_TEXT or not value.isprintable() or value.startswith(_FORMULA_START):
            raise InstrumentsDumpError(f"line {line}, column {column}: {value[:32]!r} is not a plain name")
    for column in _INTEGERS + _FLOATS:
        row[column] = _number(row[column], line=line, column=column, whole=column in _INTEGERS)
    row["expiry"] = _expiry(row["expiry"], line=line)
    return row


def _number(text: str, *, line: int, column: str, whole: bool) -> int | float:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise InstrumentsDumpError(f"line {line}, column {column}: {text[:32]!r} is not {kind}") from None
    if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
        raise InstrumentsDumpError(f"line {line}, column {column}: {text[:32]!r} is out of range")
    return value


def _expiry(text: str, *, line: int) -> date | str:
    if text == "":
        return ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InstrumentsDumpError(f"line {line}, column expiry: {text[:32]!r} is not YYYY-MM-DD") from None
    reason = day_out_of_range(day)
    if reason is not None:
        raise InstrumentsDumpError(f"line {line}, column expiry: {text!r} {reason}")
    return day
