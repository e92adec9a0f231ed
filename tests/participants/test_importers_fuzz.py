"""The participant-file importer fed broken files (hypothesis): truncated, garbled, wrongly encoded, oversized,
hostile. Each is imported or refused with an ApplicationError naming the file and the row / column (or the
file-level reason), and a refused file stores nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.errors import ApplicationError
from apps.participants.models import ParticipantPosition
from apps.participants.parser import MAX_FILE_BYTES
from apps.participants.services import participants_import_file
from tests.exchange_files import PARTICIPANTS

pytestmark = pytest.mark.django_db

NAME = "fao_participant_oi_28072026.csv"
BASE = (PARTICIPANTS / NAME).read_bytes()
LINES = BASE.decode().splitlines(keepends=True)

NAMED = re.compile(
    r"line \d+|(Client|DII|FII|Pro|TOTAL) / |column|row|UTF-16|NUL|bytes|HTML|header|title|date|"
    r"open interest from volume|TOTAL|Client \+ DII"
)
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _import_or_refusal(path: Path) -> ApplicationError | None:
    before = ParticipantPosition.objects.count()
    try:
        participants_import_file(path=path)
    except ApplicationError as exc:
        assert ParticipantPosition.objects.count() == before, f"a refused file stored rows: {exc.message}"
        assert exc.message.startswith(f"{path.name}: ")
        assert NAMED.search(exc.message), exc.message
        return exc
    return None


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / NAME
    path.write_bytes(content)
    return path


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(BASE) - 1))
def test_a_truncated_file_is_refused_or_whole(tmp_path: Path, cut: int) -> None:
    _import_or_refusal(_write(tmp_path, BASE[:cut]))


@FUZZ
@given(position=st.integers(min_value=0, max_value=len(BASE) - 1), garbage=st.binary(min_size=1, max_size=30))
def test_a_garbled_file_is_imported_or_refused_naming_where(tmp_path: Path, position: int, garbage: bytes) -> None:
    _import_or_refusal(_write(tmp_path, BASE[:position] + garbage + BASE[position + len(garbage) :]))


@FUZZ
@given(
    row=st.integers(min_value=2, max_value=6),
    column=st.integers(min_value=1, max_value=14),
    value=st.text(max_size=20) | st.sampled_from(["NaN", "inf", "-1", "1e400", "9" * 40, "=1+1", "1.5"]),
)
def test_any_value_in_any_cell_is_imported_or_refused_naming_where(
    tmp_path: Path, row: int, column: int, value: str
) -> None:
    lines = list(LINES)
    cells = lines[row].rstrip("\r\n").split(",")
    cells[column] = value.replace(",", ";").replace("\n", " ").replace('"', "'")
    lines[row] = ",".join(cells) + "\n"
    _import_or_refusal(_write(tmp_path, "".join(lines).encode()))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NaN", "Client / Future Index Long: 'NaN' is not a count"),
        ("inf", "Client / Future Index Long: 'inf' is not a count"),
        ("9" * 30, "Client / Future Index Long: '" + "9" * 30 + "' is not a count"),
        ("-5", "Client / Future Index Long: '-5' is not a whole, non-negative count"),
        ("=1+1", "Client / Future Index Long: '=1+1' is not a number"),
    ],
)
def test_a_hostile_count_is_refused_naming_row_and_column(tmp_path: Path, value: str, expected: str) -> None:
    lines = list(LINES)
    cells = lines[2].split(",")
    cells[1] = value
    lines[2] = ",".join(cells)

    refusal = _import_or_refusal(_write(tmp_path, "".join(lines).encode()))

    assert refusal is not None and expected in refusal.message, refusal


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (BASE.decode().encode("utf-16"), "UTF-16"),
        (BASE.decode().encode("utf-16-le"), "line 1 holds a NUL byte"),
        (BASE.replace(b"Client Type", b"Kind"), "no header row starting with 'Client Type'"),
        (BASE.replace(b"Future Index Long", b"Futures", 1), "missing column(s): Future Index Long"),
        (BASE.replace(b"Jul 28, 2026", b"Jul 28, 1990"), "the title says 28-Jul-1990"),
        (b"", "no header row"),
        (b"x" * (MAX_FILE_BYTES + 1), f"{MAX_FILE_BYTES + 1:,} bytes"),
        (b'"unterminated' + b"x" * 200_000, "not readable as CSV"),
    ],
)
def test_a_wrongly_encoded_or_shaped_file_is_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    refusal = _import_or_refusal(_write(tmp_path, content))

    assert refusal is not None and expected in refusal.message, refusal


def test_a_far_past_date_in_the_title_and_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fao_participant_oi_28071990.csv"
    path.write_bytes(BASE.replace(b"Jul 28, 2026", b"Jul 28, 1990"))

    refusal = _import_or_refusal(path)

    assert refusal is not None and "1990-07-28 is before 2000-01-01" in refusal.message


def test_the_base_file_imports_its_five_rows(tmp_path: Path) -> None:
    assert _import_or_refusal(_write(tmp_path, BASE)) is None
    assert ParticipantPosition.objects.count() == 5
