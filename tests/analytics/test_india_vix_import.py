"""Importing NSE's published India VIX daily history: the three layouts, idempotence, and bad files rejected whole
with the line and column named (garbled copies of the real fixture, some made by hypothesis)."""

from __future__ import annotations

import csv
import io
import re
import string
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.analytics.india_vix_csv import FIELDS, IndiaVixFileError, india_vix_parse
from apps.analytics.models import IndiaVixClose
from tests.exchange_files import INDEX_CLOSE_03MAR2025, INDIA_VIX_DAILY

ROWS = list(csv.reader(INDIA_VIX_DAILY.read_text().splitlines()))
"""The fixture: header ``date,open,high,low,close`` and 270 sessions from 2025-08-01 to 2026-09-04."""


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _nse_layout() -> str:
    """The fixture in the columns and date style of NSE's own historical India VIX download."""
    rows = [["Date ", "Open ", "High ", "Low ", "Close ", "Prev. Close ", "Change ", "% Change "]]
    previous = None
    for day, open_, high, low, close in ROWS[1:]:
        stamp = date.fromisoformat(day).strftime("%d-%b-%Y").upper()
        prev = previous or open_
        change = float(close) - float(prev)
        rows.append([stamp, open_, high, low, close, prev, f"{change:.4f}", f"{100 * change / float(prev):.2f}"])
        previous = close
    return _csv(rows)


def _run(*paths: Path) -> str:
    out = StringIO()
    call_command("import_india_vix", *(str(p) for p in paths), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_imports_the_daily_history_and_is_safe_to_repeat() -> None:
    assert _run(INDIA_VIX_DAILY) == (
        "India VIX: 270 sessions from 2025-08-01 to 2026-09-04 (270 new, 0 changed, 0 unchanged).\n"
    )
    assert IndiaVixClose.objects.count() == 270
    march = dict(IndiaVixClose.objects.filter(date__month=3, date__year=2026).values_list("date", "close"))
    assert (march[date(2026, 3, 24)], march[date(2026, 3, 27)]) == (24.74, 26.80)
    assert IndiaVixClose.objects.get(date=date(2026, 3, 24)).source == INDIA_VIX_DAILY.name
    assert _run(INDIA_VIX_DAILY).endswith("(0 new, 0 changed, 270 unchanged).\n")


@pytest.mark.django_db
def test_it_reads_nse_s_own_historical_layout_to_the_same_values(tmp_path: Path) -> None:
    nse = tmp_path / "hist_india_vix_01-08-2025-to-04-09-2026.csv"
    nse.write_text(_nse_layout())
    _run(nse)
    from_nse = list(IndiaVixClose.objects.order_by("date").values_list("date", "open", "high", "low", "close"))
    IndiaVixClose.objects.all().delete()
    _run(INDIA_VIX_DAILY)
    assert from_nse == list(IndiaVixClose.objects.order_by("date").values_list("date", "open", "high", "low", "close"))


@pytest.mark.django_db
def test_it_takes_the_india_vix_row_of_nse_s_daily_index_close_file() -> None:
    assert "1 sessions from 2025-03-03 to 2025-03-03" in _run(INDEX_CLOSE_03MAR2025)
    row = IndiaVixClose.objects.get()
    assert (row.date, row.open, row.high, row.low, row.close) == (date(2025, 3, 3), 13.91, 14.36, 13.5675, 13.76)


@pytest.mark.django_db
def test_a_changed_value_replaces_the_stored_one(tmp_path: Path) -> None:
    _run(INDIA_VIX_DAILY)
    revised = [row[:] for row in ROWS[:3]]
    revised[2][4] = "11.98"  # 2025-08-04 close 11.97 -> 11.98 (within that day's range)
    path = tmp_path / "revised.csv"
    path.write_text(_csv(revised))
    assert _run(path).endswith("(0 new, 1 changed, 1 unchanged).\n")
    assert IndiaVixClose.objects.get(date=date(2025, 8, 4)).close == 11.98


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ((5, 4, "24,74"), "line 5, column close: '24,74' is not a number"),
        (
            (7, 0, "2025-02-30"),
            "line 7, column date: '2025-02-30' is not a date (YYYY-MM-DD, DD-Mon-YYYY or DD-MM-YYYY)",
        ),
        ((3, 2, "10.0"), "line 3, column high: the high 10 is below the low 11.8025"),
        ((4, 1, "13.5"), "line 4, column open: 13.5 is outside the day's range 11.64 to 12.1775"),
        ((9, 0, "2025-08-04"), "line 9, column date: 2025-08-04 appears again (first on line 3)"),
    ],
)
def test_a_bad_file_names_its_line_and_column_and_stores_nothing(tmp_path: Path, edit, message) -> None:
    line, column, value = edit
    rows = [row[:] for row in ROWS]
    rows[line - 1][column] = value
    path = tmp_path / "india_vix.csv"
    path.write_text(_csv(rows))
    with pytest.raises(CommandError) as caught:
        _run(INDIA_VIX_DAILY, path)  # a good file first: all or nothing across files
    assert caught.value.returncode == 2
    assert str(caught.value) == f"india_vix.csv: {message}; nothing was stored."
    assert not IndiaVixClose.objects.exists()


@pytest.mark.django_db
def test_it_refuses_what_is_no_india_vix_history(tmp_path: Path) -> None:
    cases = {
        "page.csv": ("<!DOCTYPE html><html>Resource not found</html>", "line 1: this is an HTML page"),
        "empty.csv": ("", "line 1: the file is empty (no header)"),
        "other.csv": ("Date,Price\n2026-03-24,1\n", "line 1: not an India VIX history: no column for open, high, low"),
        "header.csv": ("date,open,high,low,close\n", "no India VIX rows after the header"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(CommandError, match=re.escape(message)):
            _run(path)
    with pytest.raises(CommandError, match=r"missing\.csv is not a file"):
        _run(tmp_path / "missing.csv")
    short = tmp_path / "short.csv"
    short.write_text("date,open,high,low,close\n2026-03-24,26.73,26.73,24.63\n")
    with pytest.raises(CommandError, match="line 2 has 4 fields; the header has 5"):
        _run(short)
    assert not IndiaVixClose.objects.exists()


@pytest.mark.django_db
def test_two_files_that_disagree_about_a_day_store_nothing(tmp_path: Path) -> None:
    other = [row[:] for row in ROWS[:2]]
    other[1][4] = "11.99"
    path = tmp_path / "other.csv"
    path.write_text(_csv(other))
    with pytest.raises(CommandError, match=r"other.csv: line 2: 2025-08-01 differs from india_vix_daily.* line 2"):
        _run(INDIA_VIX_DAILY, path)
    assert not IndiaVixClose.objects.exists()


SAMPLE = ROWS[:31]
BAD_NUMBERS = st.one_of(
    st.sampled_from(["", "abc", "-1", "0", "-0.5", "nan", "inf", "-inf", "1e999", "12,5", "--", "0x1A"]),
    st.text(alphabet=string.ascii_letters + " _/", min_size=1, max_size=8),
)
BAD_DATES = st.one_of(
    st.sampled_from(["", "2026-02-30", "31-04-2026", "2026/03/24", "24.03.2026", "24-Mars-2026", "20260324"]),
    st.text(alphabet=string.ascii_letters + " _", min_size=1, max_size=8),
)


@settings(max_examples=150, deadline=None)
@given(line=st.integers(2, len(SAMPLE)), column=st.integers(0, 4), data=st.data())
def test_any_garbled_cell_is_reported_at_its_line_and_column(line: int, column: int, data: st.DataObject) -> None:
    rows = [row[:] for row in SAMPLE]
    rows[line - 1][column] = data.draw(BAD_DATES if column == 0 else BAD_NUMBERS)
    with pytest.raises(IndiaVixFileError, match=rf"^line {line}, column {FIELDS[column]}: "):
        india_vix_parse(_csv(rows))


@settings(max_examples=60, deadline=None)
@given(line=st.integers(2, len(SAMPLE)), column=st.sampled_from([1, 4]), factor=st.floats(1.02, 50))
def test_an_open_or_close_outside_the_day_s_range_is_reported(line: int, column: int, factor: float) -> None:
    rows = [row[:] for row in SAMPLE]
    rows[line - 1][column] = f"{float(rows[line - 1][2]) * factor:.4f}"  # above the high
    with pytest.raises(IndiaVixFileError, match=rf"^line {line}, column {FIELDS[column]}: .* outside the day's range"):
        india_vix_parse(_csv(rows))


def test_the_real_fixture_parses_whole() -> None:
    days = india_vix_parse(INDIA_VIX_DAILY.read_text())
    assert (len(days), days[0].date, days[-1].date) == (270, date(2025, 8, 1), date(2026, 9, 4))
