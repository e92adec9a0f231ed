"""What each fault test measured, in underlying-minutes (one underlying's chain at one minute): expected (the
broker served them), stored, lost, rows duplicated, underlying-minutes left half-written, and the seconds
collection took to resume. Written to ``var/chaos/figures.json`` (one entry per fault, the latest run) and
copied into docs/reliability.md."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import psycopg

FIGURES = Path(__file__).resolve().parents[2] / "var" / "chaos" / "figures.json"


@dataclass(frozen=True)
class Figures:
    fault: str
    expected: int
    stored: int
    lost: int
    duplicated: int
    half_written: int
    seconds_to_resume: float | None
    supervisor_restarts: int = 0
    """Processes that exited by themselves during the fault and were started again by their supervisor."""

    def record(self) -> Figures:
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        known[self.fault] = asdict(self)
        FIGURES.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
        return self


def archive_figures(
    *,
    url: str,
    fault: str,
    expected: list[datetime],
    planned: dict[int, int],
    seconds_to_resume: float | None,
    supervisor_restarts: int = 0,
) -> Figures:
    """Read the archive at ``url``: per expected minute, every underlying of ``planned`` either has its spot row
    and exactly its planned option rows, or nothing at all; anything else is half-written."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT u.underlying_id, u.minute, (SELECT count(*) FROM marketdata_optionquote o "
            " WHERE o.underlying_id = u.underlying_id AND o.minute = u.minute) "
            "FROM marketdata_underlyingquote u WHERE u.minute = ANY(%s)",
            [expected],
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT o.underlying_id, o.minute FROM marketdata_optionquote o "
            " LEFT JOIN marketdata_underlyingquote u ON u.underlying_id = o.underlying_id AND u.minute = o.minute "
            " WHERE u.id IS NULL AND o.minute = ANY(%s)) x",
            [expected],
        ).fetchone()
        doubled = conn.execute(
            "SELECT (SELECT count(*) - count(DISTINCT (instrument_id, minute)) FROM marketdata_optionquote)"
            " + (SELECT count(*) - count(DISTINCT (underlying_id, minute)) FROM marketdata_underlyingquote)"
            " + (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM marketdata_collectionrun"
            "    WHERE quotes_stored > 0 GROUP BY minute) runs WHERE n > 1)"
        ).fetchone()
    pairs = {(underlying, minute) for underlying, minute, _ in rows if underlying in planned}
    wanted = {(underlying, minute) for underlying in planned for minute in expected}
    wrong = sum(1 for underlying, _, count in rows if count != planned.get(underlying))
    return Figures(
        fault=fault,
        expected=len(wanted),
        stored=len(pairs & wanted),
        lost=len(wanted - pairs),
        duplicated=int(doubled[0] if doubled else 0),
        half_written=wrong + int(orphans[0] if orphans else 0),
        seconds_to_resume=None if seconds_to_resume is None else round(seconds_to_resume, 1),
        supervisor_restarts=supervisor_restarts,
    ).record()
