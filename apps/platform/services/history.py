"""A first run with history: ``runplatform --setup`` back-fills the last simulated sessions before it starts.

On the simulated market the live clock starts at the open of the last completed session, so without this every
history view (ΔOI against the previous close, PCR and max-pain paths, weekday overlays, IV rank) is empty for
days. ``sim_history_backfill`` collects the ``OPTRADING_SIM_HISTORY_SESSIONS`` sessions before that one (every
``OPTRADING_SIM_HISTORY_STEP_MINUTES``-th minute of each, and always its last minute, the daily close the history
views read) through the collection service itself (``chain_collect`` → the one quote store: a binary COPY into a
staging table and one ``INSERT ... ON CONFLICT DO NOTHING`` per minute), analyses them, and writes and imports
one simulated NSE participant file per session (``participants_import_file``, the importer's own checks).

It runs once: an archive that already holds a collected minute is left alone. Everything it writes is the
simulated market's, and the pages say so while the simulated broker is configured.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.conf import settings

from apps.analytics.services import analytics_compute
from apps.brokers.base import Broker
from apps.brokers.simulated.broker import last_completed_session_day
from apps.collection.services.chain import chain_collect, last_collected_minute
from apps.core.errors import ApplicationError
from apps.market.calendar import previous_trading_day, session_minutes
from apps.participants.services import participants_import_file

PARTICIPANT_COLUMNS = (
    "Future Index Long",
    "Future Index Short",
    "Future Stock Long",
    "Future Stock Short",
    "Option Index Call Long",
    "Option Index Put Long",
    "Option Index Call Short",
    "Option Index Put Short",
    "Option Stock Call Long",
    "Option Stock Put Long",
    "Option Stock Call Short",
    "Option Stock Put Short",
)
PAIRS = ((0, 1), (2, 3), (4, 6), (5, 7), (8, 10), (9, 11))
"""(long, short) column positions: the exchange's TOTAL long equals TOTAL short for each."""
CATEGORIES = ("Client", "DII", "FII", "Pro")


@dataclass(frozen=True)
class Backfill:
    sessions: list[date] = field(default_factory=list)
    minutes: int = 0
    options_stored: int = 0
    analysed: int = 0
    participant_files: list[str] = field(default_factory=list)
    skipped: str = ""


def backfill_sessions(*, now: datetime, count: int) -> list[date]:
    """The ``count`` trading sessions before the one the simulated clock starts at, oldest first."""
    day = last_completed_session_day(now)
    out = []
    for _ in range(count):
        day = previous_trading_day(day)
        out.append(day)
    return sorted(out)


def backfill_minutes(day: date, *, step: int) -> list[datetime]:
    """Every ``step``-th session minute of ``day`` from the open, and its last minute (the daily close)."""
    minutes = session_minutes(day)
    picked = minutes[::step]
    if minutes and picked[-1] != minutes[-1]:
        picked.append(minutes[-1])
    return picked


def participant_file_write(*, day: date, directory: Path, seed: int) -> Path:
    """A simulated NSE participant-wise OI file of ``day`` that passes the importer's checks (TOTAL long = short
    per instrument, the categories summing to TOTAL)."""
    rng = random.Random(f"{seed}:{day.isoformat()}")
    rows = {category: [0] * len(PARTICIPANT_COLUMNS) for category in CATEGORIES}
    scale = {"Client": 1.0, "DII": 0.25, "FII": 0.6, "Pro": 0.4}
    for long_at, short_at in PAIRS:
        base = rng.randint(150_000, 2_500_000)
        for category in CATEGORIES:
            rows[category][long_at] = int(base * scale[category] * rng.uniform(0.5, 1.5))
        total = sum(rows[c][long_at] for c in CATEGORIES)
        shares = [rng.uniform(0.5, 1.5) * scale[c] for c in CATEGORIES]
        for category, share in zip(CATEGORIES[:-1], shares[:-1], strict=True):
            rows[category][short_at] = int(total * share / sum(shares))
        rows[CATEGORIES[-1]][short_at] = total - sum(rows[c][short_at] for c in CATEGORIES[:-1])
    total_row = [sum(rows[c][i] for c in CATEGORIES) for i in range(len(PARTICIPANT_COLUMNS))]
    lines = [
        f'"Participant wise Open Interest (no. of contracts) in Equity Derivatives as on {day:%b %d, %Y}"'
        + "," * (len(PARTICIPANT_COLUMNS) + 2),
        ",".join(["Client Type", *PARTICIPANT_COLUMNS, "Total Long Contracts", "Total Short Contracts"]),
    ]
    longs = [i for i, name in enumerate(PARTICIPANT_COLUMNS) if name.endswith("Long")]
    shorts = [i for i, name in enumerate(PARTICIPANT_COLUMNS) if name.endswith("Short")]
    for name, values in [*rows.items(), ("TOTAL", total_row)]:
        totals = [sum(values[i] for i in longs), sum(values[i] for i in shorts)]
        lines.append(",".join([name, *map(str, values), *map(str, totals)]))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"fao_participant_oi_{day:%d%m%Y}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def sim_history_backfill(
    *,
    broker: Broker,
    now: datetime,
    sessions: int | None = None,
    step: int | None = None,
    participants_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Backfill:
    """Back-fill the last ``sessions`` simulated sessions (default from settings) before the live clock's first."""
    sessions = settings.OPTRADING_SIM_HISTORY_SESSIONS if sessions is None else sessions
    step = settings.OPTRADING_SIM_HISTORY_STEP_MINUTES if step is None else step
    if sessions < 0 or step < 1:
        raise ApplicationError(
            "OPTRADING_SIM_HISTORY_SESSIONS must be 0 or more and OPTRADING_SIM_HISTORY_STEP_MINUTES at least 1."
        )
    if not broker.simulated:
        return Backfill(skipped=f"the {broker.name} broker is not simulated")
    if sessions == 0:
        return Backfill(skipped="OPTRADING_SIM_HISTORY_SESSIONS=0")
    if last_collected_minute() is not None:
        return Backfill(skipped="the archive already holds collected minutes")
    days = backfill_sessions(now=now, count=sessions)
    plan = [minute for day in days for minute in backfill_minutes(day, step=step)]
    stored = 0
    for number, minute in enumerate(plan, start=1):
        run = chain_collect(broker=broker, now=now, minute=minute)
        stored += run.quotes_stored
        if progress is not None:
            progress(number, len(plan))
    analysed = analytics_compute()
    directory = participants_dir or Path(settings.OPTRADING_PARTICIPANTS_DIR) / "simulated"
    files = []
    for day in days:
        path = participant_file_write(day=day, directory=directory, seed=int(settings.OPTRADING_SIM_SEED))
        participants_import_file(path=path)
        files.append(path.name)
    return Backfill(sessions=days, minutes=len(plan), options_stored=stored, analysed=analysed, participant_files=files)
