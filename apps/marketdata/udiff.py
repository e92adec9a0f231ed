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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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


class BhavcopyError(ValueError):
    """A file that is not a usable UDiFF F&O bhavcopy."""


@dataclass(frozen=True)
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


def bhavcopy_text(path: Path) -> str:
    """The CSV text of a plain or zipped bhavcopy."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BhavcopyError(f"cannot read the file ({exc.strerror or exc})") from exc
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(members) != 1:
                    raise BhavcopyError(f"the zip holds {len(members)} CSV files; expected exactly one")
                raw = archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise BhavcopyError(f"a broken zip file ({exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _float(value: str, *, line: int, column: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a finite number")
    return number


def _int(value: str, *, line: int, column: str) -> int:
    number = _float(value, line=line, column=column)
    if number != int(number):
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a whole number")
    return int(number)


def _date(value: str, *, line: int, column: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BhavcopyError(f"line {line}, column {column}: {value!r} is not a YYYY-MM-DD date") from None


def bhavcopy_parse(text: str) -> list[BhavRow]:
    """The index option and index future rows of a UDiFF bhavcopy (other instrument types are ignored)."""
    head = text[:2000].lower()
    if "<html" in head or "<!doctype" in head:
        raise BhavcopyError("this is an HTML page, not a bhavcopy (the exchange serves one for a missing date)")
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    missing = [c for c in UDIFF_COLUMNS if c not in header]
    if missing:
        raise BhavcopyError(f"not a UDiFF F&O bhavcopy: missing column(s) {', '.join(missing)}")
    at = {name: header.index(name) for name in UDIFF_COLUMNS}
    rows: list[BhavRow] = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise BhavcopyError(f"line {line} has {len(cells)} fields; the header has {len(header)}")

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[at[name]].strip()

        kind = cell("FinInstrmTp")
        if kind not in (INDEX_OPTION, INDEX_FUTURE):
            continue
        is_option = kind == INDEX_OPTION
        option_type = cell("OptnTp") if is_option else ""
        if is_option and option_type not in ("CE", "PE"):
            raise BhavcopyError(f"line {line}, column OptnTp: {option_type!r} is neither CE nor PE")
        lot_size = _int(cell("NewBrdLotQty"), line=line, column="NewBrdLotQty")
        if lot_size <= 0:
            raise BhavcopyError(f"line {line}, column NewBrdLotQty: lot size {lot_size} is not positive")
        settlement = _float(cell("SttlmPric"), line=line, column="SttlmPric")
        if settlement < 0:
            raise BhavcopyError(f"line {line}, column SttlmPric: {settlement} is negative")
        previous = cell("PrvsClsgPric")
        oi = _int(cell("OpnIntrst"), line=line, column="OpnIntrst")
        volume = _int(cell("TtlTradgVol"), line=line, column="TtlTradgVol")
        if oi < 0 or volume < 0:
            raise BhavcopyError(f"line {line}: negative open interest ({oi}) or volume ({volume})")
        rows.append(
            BhavRow(
                line=line,
                trade_date=_date(cell("TradDt"), line=line, column="TradDt"),
                kind=kind,
                token=_int(cell("FinInstrmId"), line=line, column="FinInstrmId"),
                symbol=cell("TckrSymb"),
                expiry=_date(cell("XpryDt"), line=line, column="XpryDt"),
                strike=_float(cell("StrkPric"), line=line, column="StrkPric") if is_option else 0.0,
                option_type=option_type,
                name=cell("FinInstrmNm"),
                previous_close=_float(previous, line=line, column="PrvsClsgPric") if previous else None,
                underlying_price=_float(cell("UndrlygPric"), line=line, column="UndrlygPric"),
                settlement=settlement,
                oi=oi,
                oi_change=_int(cell("ChngInOpnIntrst"), line=line, column="ChngInOpnIntrst"),
                volume_contracts=volume,
                lot_size=lot_size,
            )
        )
    trade_dates = sorted({r.trade_date for r in rows})
    if len(trade_dates) > 1:
        raise BhavcopyError(f"rows for several trade dates ({', '.join(map(str, trade_dates))}); expected one")
    if not any(r.kind == INDEX_OPTION for r in rows):
        raise BhavcopyError("no index option rows (FinInstrmTp IDO) in the file")
    return rows
