"""The raw archive: with ``OPTRADING_RAW_ARCHIVE=true`` every broker response is kept as it arrived.

Layout under ``OPTRADING_ARCHIVE_DIR/raw/``:

* ``YYYY-MM-DD/HHMM.jsonl.gz`` (IST trade date and minute): one JSON line per quote call of that market minute,
  ``{"minute": <ISO UTC>, "quotes": {key: quote}}``, appended (a gzip file of several members reads as one);
* ``instruments/YYYY-MM-DD.jsonl.gz`` (IST date of the call): one line per instruments call,
  ``{"exchange": <exchange or null>, "rows": [...]}``.

Kite's naive IST datetimes and dates are written as ``{"$dt": iso}`` / ``{"$date": iso}`` and read back as they
were, so a replayed day (``raw_day_read``) answers exactly what the broker answered.
"""

from __future__ import annotations

import gzip
import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from apps.brokers.base import InstrumentRow, QuoteDict
from apps.brokers.replay import ReplayDay
from apps.market.clock import to_ist

_lock = threading.Lock()


def raw_root(archive_dir: str | Path) -> Path:
    return Path(archive_dir) / "raw"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        if set(value) == {"$date"}:
            return date.fromisoformat(value["$date"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(_encode(record), separators=(",", ":")) + "\n").encode()
    with _lock, gzip.open(path, "ab") as handle:
        handle.write(line)


def raw_quotes_write(*, root: Path, minute: datetime, quotes: dict[str, QuoteDict]) -> Path:
    local = to_ist(minute)
    path = root / f"{local:%Y-%m-%d}" / f"{local:%H%M}.jsonl.gz"
    _append(path, {"minute": minute.astimezone(UTC).isoformat(), "quotes": quotes})
    return path


def raw_instruments_write(*, root: Path, exchange: str | None, rows: list[InstrumentRow], now: datetime) -> Path:
    path = root / "instruments" / f"{to_ist(now):%Y-%m-%d}.jsonl.gz"
    _append(path, {"exchange": exchange, "rows": rows})
    return path


def _lines(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt") as handle:
        return [_decode(json.loads(line)) for line in handle if line.strip()]


def _instruments(root: Path, day: date) -> tuple[list[InstrumentRow], date | None]:
    """The last dump fetched on or before ``day`` (else the first after it): every exchange's latest call, and the
    date it was fetched."""
    files = sorted((root / "instruments").glob("*.jsonl.gz"))
    if not files:
        return [], None
    before = [f for f in files if f.name[:10] <= day.isoformat()]
    chosen = before[-1] if before else files[0]
    latest: dict[str | None, list[InstrumentRow]] = {}
    for record in _lines(chosen):
        latest[record["exchange"]] = record["rows"]
    fetched = date.fromisoformat(chosen.name[:10])
    if None in latest:  # one call for every exchange
        return latest[None], fetched
    return [row for rows in latest.values() for row in rows], fetched


def raw_day_read(*, root: Path, day: date) -> ReplayDay | None:
    """The archived responses of ``day`` as a replay broker serves them; None when nothing was archived."""
    folder = root / day.isoformat()
    files = sorted(folder.glob("*.jsonl.gz")) if folder.is_dir() else []
    if not files:
        return None
    by_minute: dict[datetime, Path] = {}
    for path in files:
        first = _lines(path)
        if first:
            by_minute[datetime.fromisoformat(first[0]["minute"])] = path

    def quotes_at(minute: datetime) -> dict[str, QuoteDict]:
        path = by_minute.get(minute.astimezone(UTC))
        out: dict[str, QuoteDict] = {}
        for record in _lines(path) if path is not None else []:
            out.update(record["quotes"])
        return out

    instruments, fetched = _instruments(root, day)
    return ReplayDay(
        day=day, instruments=instruments, minutes=sorted(by_minute), quotes_at=quotes_at, listed_on=fetched
    )
