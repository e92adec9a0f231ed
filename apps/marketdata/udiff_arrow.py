"""The fast reader of a UDiFF bhavcopy: pyarrow's CSV reader and vectorised checks of the kept rows' cells.

It only *accepts*: a file it reads is one the line-by-line reader of ``apps.marketdata.udiff`` would read to the
same values (it holds no quotes, no blank line, no lone carriage return, no field the ``csv`` module would find
too long, and every cell the kept rows need is in its plainest form: ``123``, ``-45``, ``123.45``, a bare
name, ``YYYY-MM-DD``). Anything else (a bad cell, but also a harmless unusual one such as a padded number)
returns ``None`` and the caller reads the file line by line, which then names the line and column of the first
problem or reads what the plain form could not. Pure: no Django.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

_COUNT = r"^[0-9]+$"
_WHOLE = r"^-?[0-9]+$"
_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9&._-]*$"
"""A stored name in its plainest form (no space, no formula start, printable): anything else is read line by line."""


@dataclass(frozen=True)
class KeptColumns:
    """The kept rows' cells, one list per field, in file order (``line`` is each row's line number)."""

    line: list[int]
    kind: list[str]
    option_type: list[str]
    trade_date: list[str]
    expiry: list[str]
    token: list[int]
    symbol: list[str]
    name: list[str]
    strike: list[float]
    previous_close: list[float | None]
    underlying_price: list[float]
    settlement: list[float]
    oi: list[int]
    oi_change: list[int]
    volume_contracts: list[int]
    lot_size: list[int]


def kept_columns(
    text: str, *, header: list[str], at: dict[str, int], option: str, future: str, max_number: float, max_text: int
) -> KeptColumns | None:
    """The ``option`` and ``future`` rows of ``text`` (``header``: its first line's cells; ``at``: the position of
    each column), or ``None`` when the file is not in the plain form this reader vouches for."""
    raw = text.encode("utf-8")
    if not header or b'"' in raw or not _plain_lines(raw):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(raw),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pcsv.ParseOptions(quote_char=False, newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=[names[i] for i in sorted(set(at.values()))],
            ),
        )
    except pa.ArrowException:  # a row of another width, an empty file: read line by line
        return None
    at = {name: sorted(set(at.values())).index(i) for name, i in at.items()}
    try:
        return _kept(table, at=at, option=option, future=future, max_number=max_number, max_text=max_text)
    except pa.ArrowException:  # a number pyarrow cannot hold (more digits than int64)
        return None


def _plain_lines(raw: bytes) -> bool:
    """No blank line (the csv module counts it as a line, pyarrow skips it), no carriage return but before a line
    feed (the csv module refuses it in a field), no line as long as the csv module's field size limit."""
    lines = raw.split(b"\n")
    body = lines[:-1]
    if b"" in body or b"\r" in body:
        return False
    if raw.count(b"\r") != sum(line.endswith(b"\r") for line in lines):
        return False
    return max(map(len, lines)) < csv.field_size_limit()


def _all(pattern: str, *arrays: Any) -> bool:
    """Every value of every array matches ``pattern`` (one regex pass over them all: compiling is the cost)."""
    joined = pa.chunked_array([chunk for array in arrays for chunk in array.chunks], pa.string())
    return bool(pc.all(pc.match_substring_regex(joined, pattern)).as_py() is not False)


def _within(array: Any, max_number: float, *, positive: bool = False, nonnegative: bool = False) -> bool:
    if len(array) == 0:
        return True
    magnitude = pc.max(pc.abs_checked(array)).as_py()
    if magnitude is not None and magnitude >= max_number:
        return False
    low = pc.min(array).as_py()
    if positive and low is not None and low <= 0:
        return False
    return not (nonnegative and low is not None and low < 0)


def _kept(
    table: pa.Table, *, at: dict[str, int], option: str, future: str, max_number: float, max_text: int
) -> KeptColumns | None:
    def col(name: str) -> Any:
        return table.column(at[name])

    table = table.combine_chunks()
    kinds = col("FinInstrmTp")
    keep = pc.is_in(kinds, value_set=pa.array([option, future]))
    # A kind padded or framed ("IDO ", " IDF") is kept by the line-by-line reader, which strips it.
    near = pc.match_substring_regex(kinds, f"{option}|{future}")
    if pc.sum(pc.cast(keep, pa.int64())).as_py() != pc.sum(pc.cast(near, pa.int64())).as_py():
        return None
    kept = table.filter(keep)
    lines = pc.add(pc.indices_nonzero(keep), 2)

    def cells(name: str) -> Any:
        return kept.column(at[name])

    kind = cells("FinInstrmTp")
    is_option = pc.equal(kind, option)
    options = kept.filter(is_option)
    option_type = options.column(at["OptnTp"])
    if not _all("^(CE|PE)$", option_type):
        return None
    strike = options.column(at["StrkPric"])  # futures have none: 0.0 and "" (their cells are not read)
    previous = cells("PrvsClsgPric")
    given = pc.not_equal(previous, "")
    plain = {
        _COUNT: ("NewBrdLotQty", "OpnIntrst", "TtlTradgVol"),
        _WHOLE: ("FinInstrmId", "ChngInOpnIntrst"),
        _DECIMAL: ("SttlmPric", "UndrlygPric", "StrkPric", "PrvsClsgPric"),
        _DAY: ("TradDt", "XpryDt"),
        _NAME: ("TckrSymb", "FinInstrmNm"),
    }
    extra = {"StrkPric": strike, "PrvsClsgPric": previous.filter(given)}  # options only; given only
    for pattern, names in plain.items():
        if not _all(pattern, *[extra[name] if name in extra else cells(name) for name in names]):
            return None
    for name in ("TckrSymb", "FinInstrmNm"):
        if len(kept) and pc.max(pc.utf8_length(cells(name))).as_py() > max_text:
            return None

    def ints(name: str) -> Any:
        return pc.cast(cells(name), pa.int64())

    def floats(values: Any) -> Any:
        return pc.cast(values, pa.float64())

    lot, oi, volume = ints("NewBrdLotQty"), ints("OpnIntrst"), ints("TtlTradgVol")
    token, change = ints("FinInstrmId"), ints("ChngInOpnIntrst")
    settlement, underlying = floats(cells("SttlmPric")), floats(cells("UndrlygPric"))
    strikes = floats(pc.if_else(is_option, cells("StrkPric"), "0"))
    previous_close = floats(pc.if_else(given, previous, pa.scalar(None, pa.string())))
    checks = [
        _within(lot, max_number, positive=True),
        _within(oi, max_number, nonnegative=True),
        _within(volume, max_number, nonnegative=True),
        _within(token, max_number),
        _within(change, max_number),
        _within(settlement, max_number, nonnegative=True),
        _within(underlying, max_number),
        _within(strikes, max_number),
        _within(previous_close, max_number),
    ]
    if not all(checks):
        return None
    option_types = pc.if_else(is_option, cells("OptnTp"), "")
    return KeptColumns(
        line=lines.to_pylist(),
        kind=kind.to_pylist(),
        option_type=option_types.to_pylist(),
        trade_date=cells("TradDt").to_pylist(),
        expiry=cells("XpryDt").to_pylist(),
        token=token.to_pylist(),
        symbol=cells("TckrSymb").to_pylist(),
        name=cells("FinInstrmNm").to_pylist(),
        strike=strikes.to_pylist(),
        previous_close=previous_close.to_pylist(),
        underlying_price=underlying.to_pylist(),
        settlement=settlement.to_pylist(),
        oi=oi.to_pylist(),
        oi_change=change.to_pylist(),
        volume_contracts=volume.to_pylist(),
        lot_size=lot.to_pylist(),
    )
