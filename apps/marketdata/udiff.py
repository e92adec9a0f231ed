"""Read an NSE/BSE F&O UDiFF bhavcopy: pure parsing, no database (the import service stores what it returns).

Conventions (docs/conventions.md §6.1, docs/exchange-data.md): the 34 UDiFF columns are required by name;
index options (``IDO``) and index futures (``IDF``) are kept, other instrument types ignored; every problem
raises ``BhavcopyError`` naming the line and column.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from apps.market.clock import day_out_of_range
from apps.marketdata.udiff_arrow import KeptColumns, kept_columns

# fmt: off
UDIFF_COLUMNS: tuple[str, ...] = (
    "TradDt", "BizDt", "Sgmt", "Src", "FinInstrmTp", "FinInstrmId", "ISIN", "TckrSymb", "SctySrs", "XpryDt",
    "FininstrmActlXpryDt", "StrkPric", "OptnTp", "FinInstrmNm", "OpnPric", "HghPric", "LwPric", "ClsPric", "LastPric",
    "PrvsClsgPric", "UndrlygPric", "SttlmPric", "OpnIntrst", "ChngInOpnIntrst", "TtlTradgVol", "TtlTrfVal",
    "TtlNbOfTxsExctd", "SsnId", "NewBrdLotQty", "Rmks", "Rsvd1", "Rsvd2", "Rsvd3", "Rsvd4",
)
# fmt: on
"""The 34 UDiFF columns, all required (a file missing any is not a UDiFF bhavcopy)."""

INDEX_OPTION = "IDO"
INDEX_FUTURE = "IDF"

MAX_FILE_BYTES = 256 * 1024 * 1024
"""The largest bhavcopy read (as stored, and once unzipped): a full NSE F&O day is about 30 MB of CSV."""
MAX_NUMBER = 1e15
"""No price, OI, volume or token of a real file comes near this; larger values are refused, not stored."""
MAX_TEXT = 64
"""The longest text cell kept (symbols, contract names); real ones are under 40 characters."""
_FORMULA_START = ("=", "+", "-", "@")


class BhavcopyError(ValueError):
    """A file that is not a usable UDiFF F&O bhavcopy."""


@dataclass(frozen=True, slots=True)
class BhavRow:
    line: int
    trade_date: date
    kind: str
    token: int
    symbol: str
    expiry: date
    strike: float
    option_type: str
    name: str
    previous_close: float | None
    underlying_price: float
    settlement: float
    oi: int
    oi_change: int
    volume_contracts: int
    lot_size: int


def _too_large(size: int, max_bytes: int, what: str) -> None:
    if size > max_bytes:
        raise BhavcopyError(f"{what} is {size:,} bytes; a bhavcopy is at most {max_bytes:,}")


def bhavcopy_text(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The CSV text of a plain or zipped bhavcopy, refused when too large, UTF-16 or holding NUL bytes."""
    try:
        _too_large(path.stat().st_size, max_bytes, "the file")
        raw = path.read_bytes()
    except OSError as exc:
        raise BhavcopyError(f"cannot read the file ({exc.strerror or exc})") from exc
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [info for info in archive.infolist() if info.filename.lower().endswith(".csv")]
                if len(members) != 1:
                    raise BhavcopyError(f"the zip holds {len(members)} CSV files; expected exactly one")
                _too_large(members[0].file_size, max_bytes, f"{members[0].filename} unzipped")
                raw = archive.read(members[0])
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as exc:
            raise BhavcopyError(f"a broken zip file ({exc})") from exc
        except OSError as exc:  # zlib errors of a corrupt member
            raise BhavcopyError(f"a broken zip file ({exc})") from exc
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BhavcopyError("the file is UTF-16 text; a bhavcopy is UTF-8 (save it as CSV UTF-8)")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise BhavcopyError(f"line {line} holds a NUL byte: this is not a text CSV file (UTF-16 or binary?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _float(value: str, *, line: int, column: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BhavcopyError(f"line {line}, column {column}: {value[:32]!r} is not a number") from None
    if not math.isfinite(number):
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a finite number")
    if abs(number) >= MAX_NUMBER:
        raise BhavcopyError(f"line {line}, column {column}: {value[:32]!r} is out of range (at most {MAX_NUMBER:g})")
    return number


def _int(value: str, *, line: int, column: str) -> int:
    if value.isdigit():  # the common case, "12345": no float round trip (ASCII digits only, so no sign or "²")
        whole = int(value) if value.isascii() else -1
        if 0 <= whole < MAX_NUMBER:
            return whole
    number = _float(value, line=line, column=column)
    if number != int(number):
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a whole number")
    return int(number)


def _date(value: str, *, line: int, column: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BhavcopyError(f"line {line}, column {column}: {value[:32]!r} is not a YYYY-MM-DD date") from None
    reason = day_out_of_range(day)
    if reason is not None:
        raise BhavcopyError(f"line {line}, column {column}: {value!r} {reason}")
    return day


def _text(value: str, *, line: int, column: str) -> str:
    """A text cell that is stored: short, printable, and no spreadsheet formula (=, +, -, @ first)."""
    if len(value) > MAX_TEXT:
        raise BhavcopyError(f"line {line}, column {column}: {len(value)} characters; at most {MAX_TEXT}")
    if not value.isprintable() or value.startswith(_FORMULA_START):
        raise BhavcopyError(f"line {line}, column {column}: {value[:32]!r} is not a plain name")
    return value


def bhavcopy_parse(text: str) -> list[BhavRow]:
    """The index option and index future rows of a UDiFF bhavcopy (other instrument types are ignored)."""
    head = text[:2000].lower()
    if "<html" in head or "<!doctype" in head:
        raise BhavcopyError("this is an HTML page, not a bhavcopy (the exchange serves one for a missing date)")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        missing = [c for c in UDIFF_COLUMNS if c not in header]
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            raise BhavcopyError(f"not a UDiFF F&O bhavcopy: missing column(s) {shown} in line 1")
        # The fast reader vouches only for files in the plain form; any other is read line by line, which names
        # the line and column of a problem (the two read every fixture to the same rows: tests/marketdata).
        rows = _rows_plain(text, header) or _rows(reader, header)
    except csv.Error as exc:
        raise BhavcopyError(f"line {reader.line_num}: not readable as CSV ({exc})") from None
    trade_dates = sorted({r.trade_date for r in rows})
    if len(trade_dates) > 1:
        raise BhavcopyError(f"rows for several trade dates ({', '.join(map(str, trade_dates))}); expected one")
    if not any(r.kind == INDEX_OPTION for r in rows):
        raise BhavcopyError("no index option rows (FinInstrmTp IDO) in the file")
    return rows


def _rows_plain(text: str, header: list[str]) -> list[BhavRow] | None:
    """The rows by the fast columnar reader, or None when it does not vouch for the file."""
    at = {name: header.index(name) for name in UDIFF_COLUMNS}
    kept = kept_columns(
        text, header=header, at=at, option=INDEX_OPTION, future=INDEX_FUTURE, max_number=MAX_NUMBER, max_text=MAX_TEXT
    )
    if kept is None or not kept.line:
        return None
    return _rows_of(kept)


def _rows_of(kept: KeptColumns) -> list[BhavRow] | None:
    days: dict[str, date] = {}
    for column, values in (("TradDt", kept.trade_date), ("XpryDt", kept.expiry)):
        for value in dict.fromkeys(values):
            if value not in days:
                try:
                    days[value] = _date(value, line=0, column=column)
                except BhavcopyError:  # out of range: the line-by-line reader names its line
                    return None
    return [
        BhavRow(*values)
        for values in zip(
            kept.line, map(days.__getitem__, kept.trade_date), kept.kind, kept.token, kept.symbol,
            map(days.__getitem__, kept.expiry), kept.strike, kept.option_type, kept.name, kept.previous_close,
            kept.underlying_price, kept.settlement, kept.oi, kept.oi_change, kept.volume_contracts, kept.lot_size,
            strict=True,
        )
    ]  # fmt: skip


def _rows(reader: Iterator[list[str]], header: list[str]) -> list[BhavRow]:
    at = {name: header.index(name) for name in UDIFF_COLUMNS}
    # The column positions as locals: this loop runs once per line of a 30 MB file (profiled: a closure per
    # line and a dict lookup per cell were half of the parse).
    i_kind, i_type, i_lot, i_settle, i_prev = (at[c] for c in ("FinInstrmTp", "OptnTp", "NewBrdLotQty", "SttlmPric",
                                                                "PrvsClsgPric"))  # fmt: skip
    i_oi, i_vol, i_date, i_id, i_symbol = (at[c] for c in ("OpnIntrst", "TtlTradgVol", "TradDt", "FinInstrmId",
                                                            "TckrSymb"))  # fmt: skip
    i_expiry, i_strike, i_name, i_under, i_change = (at[c] for c in ("XpryDt", "StrkPric", "FinInstrmNm",
                                                                      "UndrlygPric", "ChngInOpnIntrst"))  # fmt: skip
    width = len(header)
    kept = (INDEX_OPTION, INDEX_FUTURE)
    days: dict[str, date] = {}  # a file has a handful of distinct dates, each on thousands of lines

    def day(value: str, line: int, column: str) -> date:
        found = days.get(value)
        if found is None:
            found = days[value] = _date(value, line=line, column=column)
        return found

    rows: list[BhavRow] = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) < width:
            if not "".join(cells).strip():
                continue
            raise BhavcopyError(f"line {line} has {len(cells)} fields; the header has {len(header)}")
        kind = cells[i_kind].strip()
        if kind not in kept:  # other instrument types, and blank lines
            continue
        is_option = kind == INDEX_OPTION
        option_type = cells[i_type].strip() if is_option else ""
        if is_option and option_type not in ("CE", "PE"):
            raise BhavcopyError(f"line {line}, column OptnTp: {option_type!r} is neither CE nor PE")
        lot_size = _int(cells[i_lot].strip(), line=line, column="NewBrdLotQty")
        if lot_size <= 0:
            raise BhavcopyError(f"line {line}, column NewBrdLotQty: lot size {lot_size} is not positive")
        settlement = _float(cells[i_settle].strip(), line=line, column="SttlmPric")
        if settlement < 0:
            raise BhavcopyError(f"line {line}, column SttlmPric: {settlement} is negative")
        previous = cells[i_prev].strip()
        oi = _int(cells[i_oi].strip(), line=line, column="OpnIntrst")
        volume = _int(cells[i_vol].strip(), line=line, column="TtlTradgVol")
        if oi < 0 or volume < 0:
            raise BhavcopyError(f"line {line}: negative open interest ({oi}) or volume ({volume})")
        rows.append(
            BhavRow(
                line=line,
                trade_date=day(cells[i_date].strip(), line, "TradDt"),
                kind=kind,
                token=_int(cells[i_id].strip(), line=line, column="FinInstrmId"),
                symbol=_text(cells[i_symbol].strip(), line=line, column="TckrSymb"),
                expiry=day(cells[i_expiry].strip(), line, "XpryDt"),
                strike=_float(cells[i_strike].strip(), line=line, column="StrkPric") if is_option else 0.0,
                option_type=option_type,
                name=_text(cells[i_name].strip(), line=line, column="FinInstrmNm"),
                previous_close=_float(previous, line=line, column="PrvsClsgPric") if previous else None,
                underlying_price=_float(cells[i_under].strip(), line=line, column="UndrlygPric"),
                settlement=settlement,
                oi=oi,
                oi_change=_int(cells[i_change].strip(), line=line, column="ChngInOpnIntrst"),
                volume_contracts=volume,
                lot_size=lot_size,
            )
        )
    return rows
