"""Parse and validate NSE's participant-wise OI / volume files (fao_participant_oi|vol_DDMMYYYY.csv).

Pure Python, no Django: the file is read BY COLUMN NAME (NSE's option columns run Call Long, Put Long,
Call Short, Put Short, and two header names carry trailing spaces), its date comes from the title line
(every spelling NSE has used) or the file name, and the exchange's own invariants are checked before
anything is stored. Units are contracts, all indices (or all stocks) combined.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from apps.market.clock import day_out_of_range

CATEGORIES: tuple[str, ...] = ("Client", "DII", "FII", "Pro", "TOTAL")
"""The rows of every file; the first four sum to TOTAL."""

COLUMNS: dict[str, str] = {
    "Future Index Long": "future_index_long",
    "Future Index Short": "future_index_short",
    "Future Stock Long": "future_stock_long",
    "Future Stock Short": "future_stock_short",
    "Option Index Call Long": "option_index_call_long",
    "Option Index Put Long": "option_index_put_long",
    "Option Index Call Short": "option_index_call_short",
    "Option Index Put Short": "option_index_put_short",
    "Option Stock Call Long": "option_stock_call_long",
    "Option Stock Put Long": "option_stock_put_long",
    "Option Stock Call Short": "option_stock_call_short",
    "Option Stock Put Short": "option_stock_put_short",
    "Total Long Contracts": "total_long",
    "Total Short Contracts": "total_short",
}
"""NSE header name → field name. The 14 numbers stored per (date, kind, category)."""

FIELDS: tuple[str, ...] = tuple(COLUMNS.values())
NAMES: dict[str, str] = {field: name for name, field in COLUMNS.items()}

LONG_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f.endswith("_long") and f != "total_long")
SHORT_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f.endswith("_short") and f != "total_short")
LONG_SHORT_PAIRS: tuple[tuple[str, str], ...] = (
    *zip(LONG_FIELDS, SHORT_FIELDS, strict=True),
    ("total_long", "total_short"),
)

TOLERANCE = 1
"""NSE's own files miss by one contract now and then (28-Jul-2026 Option Index Put Long: 2,697,953 vs 2,697,954)."""

KIND_OI = "oi"
KIND_VOLUME = "volume"

_FILE_NAME = re.compile(r"fao_participant_(?P<kind>oi|vol)_(?P<date>\d{8})", re.IGNORECASE)
_TITLE_DATE = re.compile(r"as\s+on\s+(?P<date>[A-Za-z]+\.?\s*\d{1,2}\s*,?\s*\d{4})", re.IGNORECASE)


MAX_COUNT = 1e15
"""No participant count comes near this (NSE's totals are in the tens of millions)."""
MAX_FILE_BYTES = 1024 * 1024
"""NSE's participant files are about 1 KB; anything past this is not one."""


def participant_bytes_text(raw: bytes) -> str:
    """The text of a participant file's bytes: refused when too large, UTF-16 or binary; latin-1 as a fallback."""
    if len(raw) > MAX_FILE_BYTES:
        raise ParticipantFileError(f"the file is {len(raw):,} bytes; a participant file is at most {MAX_FILE_BYTES:,}")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ParticipantFileError("the file is UTF-16 text; NSE's participant files are UTF-8 CSV")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ParticipantFileError(f"line {line} holds a NUL byte: this is not a text CSV file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class ParticipantFileError(ValueError):
    """A participant file that cannot be read or breaks the exchange's invariants."""


@dataclass(frozen=True)
class ParticipantFile:
    date: date
    kind: str
    rows: dict[str, dict[str, int]]
    """Category (Client, DII, FII, Pro, TOTAL) → the 14 numbers by field name."""
    warnings: tuple[str, ...] = ()
    """Mismatches accepted within the ±1 tolerance, for the import report."""


def parse_title_date(title: str) -> date | None:
    """The date in NSE's title line: 'Jul 28, 2026', 'Jul 28,2026', 'July 28, 2026', 'Jul 28 2026'."""
    match = _TITLE_DATE.search(title)
    if match is None:
        return None
    text = re.sub(r"[,.]", " ", match.group("date"))
    text = " ".join(text.split())
    for fmt in ("%b %d %Y", "%B %d %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if text[:4].lower() == "sept":  # 'Sept 18 2026'
        return parse_title_date("as on Sep" + text[4:])
    return None


def parse_file_name(name: str) -> tuple[str | None, date | None]:
    """(kind, date) from 'fao_participant_oi_28072026.csv'; (None, None) parts when absent."""
    match = _FILE_NAME.search(name)
    if match is None:
        return None, None
    kind = KIND_OI if match.group("kind").lower() == "oi" else KIND_VOLUME
    try:
        day = datetime.strptime(match.group("date"), "%d%m%Y").date()
    except ValueError:
        return kind, None
    return kind, day


def _kind_from_title(title: str) -> str | None:
    lowered = title.lower()
    if "open interest" in lowered:
        return KIND_OI
    if "volume" in lowered:
        return KIND_VOLUME
    return None


def _number(raw: str, *, category: str, column: str) -> int:
    text = raw.strip().replace(",", "")
    try:
        value = float(text)
    except ValueError:
        raise ParticipantFileError(f"{category} / {column}: {raw.strip()[:32]!r} is not a number") from None
    if not math.isfinite(value) or abs(value) >= MAX_COUNT:
        raise ParticipantFileError(
            f"{category} / {column}: {raw.strip()[:32]!r} is not a count (NaN, infinite or huge)"
        )
    if value != int(value) or value < 0:
        raise ParticipantFileError(f"{category} / {column}: {raw.strip()!r} is not a whole, non-negative count")
    return int(value)


def participant_file_parse(text: str, *, file_name: str = "") -> ParticipantFile:
    """Read one file's text. Raises ParticipantFileError naming what is wrong; validates the invariants."""
    text = text.lstrip("\ufeff")
    if "<html" in text[:2000].lower():
        raise ParticipantFileError("this is an HTML page, not an NSE participant CSV (NSE serves one for missing days)")
    reader = csv.reader(io.StringIO(text))
    try:
        lines = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ParticipantFileError(f"line {reader.line_num}: not readable as CSV ({exc})") from None
    header_index = next(
        (i for i, row in enumerate(lines) if row and row[0].strip().strip('"').lower() == "client type"), None
    )
    if header_index is None:
        raise ParticipantFileError("no header row starting with 'Client Type' was found")
    title = " ".join(" ".join(row) for row in lines[:header_index]).replace('"', "")
    header = [cell.strip().strip('"').strip() for cell in lines[header_index]]
    positions = {name.lower(): i for i, name in enumerate(header)}
    missing = [name for name in COLUMNS if name.lower() not in positions]
    if missing:
        raise ParticipantFileError(f"missing column(s): {', '.join(missing)}")

    name_kind, name_date = parse_file_name(file_name)
    title_kind, title_date = _kind_from_title(title), parse_title_date(title)
    if title_date and name_date and title_date != name_date:
        raise ParticipantFileError(f"the title says {title_date:%d-%b-%Y} but the file name says {name_date:%d-%b-%Y}")
    if title_kind and name_kind and title_kind != name_kind:
        raise ParticipantFileError(f"the title says {title_kind} but the file name says {name_kind}")
    day = title_date or name_date
    kind = title_kind or name_kind
    if day is None:
        raise ParticipantFileError("no date in the title line ('... as on Jul 28, 2026') or the file name (DDMMYYYY)")
    reason = day_out_of_range(day)
    if reason is not None:
        raise ParticipantFileError(f"the file's date {day.isoformat()} {reason}")
    if kind is None:
        raise ParticipantFileError("cannot tell open interest from volume: neither the title nor the file name says")

    canonical = {c.lower(): c for c in CATEGORIES}
    rows: dict[str, dict[str, int]] = {}
    for row in lines[header_index + 1 :]:
        label = row[0].strip().strip('"').strip()
        category = canonical.get(label.lower())
        if category is None:
            raise ParticipantFileError(f"unknown row {label[:32]!r}; expected one of {', '.join(CATEGORIES)}")
        if category in rows:
            raise ParticipantFileError(f"row {category} appears twice")
        values: dict[str, int] = {}
        for name, field in COLUMNS.items():
            index = positions[name.lower()]
            if index >= len(row):
                raise ParticipantFileError(f"{category} / {name}: the row has no value in this column")
            values[field] = _number(row[index], category=category, column=name)
        rows[category] = values
    absent = [c for c in CATEGORIES if c not in rows]
    if absent:
        raise ParticipantFileError(f"missing row(s): {', '.join(absent)}")
    warnings = participant_file_validate(rows)
    return ParticipantFile(date=day, kind=kind, rows=rows, warnings=tuple(warnings))


def participant_file_validate(rows: dict[str, dict[str, int]]) -> list[str]:
    """Check NSE's invariants; raise on the first break, return the accepted ±1 mismatches."""
    warnings: list[str] = []
    total = rows["TOTAL"]
    for long_field, short_field in LONG_SHORT_PAIRS:
        if total[long_field] != total[short_field]:
            raise ParticipantFileError(
                f"TOTAL {NAMES[long_field]} = {total[long_field]:,} but {NAMES[short_field]} = "
                f"{total[short_field]:,}; every contract has a buyer and a seller, so they must be equal"
            )
    for field in FIELDS:
        summed = sum(rows[c][field] for c in CATEGORIES[:-1])
        diff = summed - total[field]
        if abs(diff) > TOLERANCE:
            raise ParticipantFileError(
                f"{NAMES[field]}: Client + DII + FII + Pro = {summed:,} but TOTAL = {total[field]:,} "
                f"(off by {diff:+,}; at most ±{TOLERANCE} is accepted)"
            )
        if diff:
            warnings.append(f"{NAMES[field]}: categories sum to {summed:,}, TOTAL says {total[field]:,} (accepted ±1)")
    for category in CATEGORIES:
        row = rows[category]
        for parts, total_field in ((LONG_FIELDS, "total_long"), (SHORT_FIELDS, "total_short")):
            summed = sum(row[f] for f in parts)
            diff = summed - row[total_field]
            if abs(diff) > TOLERANCE:
                side = "long" if total_field == "total_long" else "short"
                raise ParticipantFileError(
                    f"{category} / {NAMES[total_field]}: the {side} columns sum to {summed:,} but the file says "
                    f"{row[total_field]:,} (off by {diff:+,}; at most ±{TOLERANCE} is accepted)"
                )
            if diff:
                warnings.append(f"{category} {NAMES[total_field]}: columns sum to {summed:,} (accepted ±1)")
    return warnings
