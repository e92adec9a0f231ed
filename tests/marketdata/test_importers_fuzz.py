"""The bhavcopy importer fed broken files (hypothesis): truncated, garbled, wrongly encoded, oversized, hostile.

Each either imports or is refused with an ApplicationError that names the file and the line or column (or
the file-level reason), and a refused file stores nothing: not one option quote, underlying quote or instrument.
The base file is the head of NSE's real NIFTY bhavcopy of 27 Mar 2026 (tests/fixtures/exchange).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.errors import ApplicationError
from apps.market.models import Instrument
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from apps.marketdata.services.bhavcopy import bhavcopy_import
from apps.marketdata.udiff import UDIFF_COLUMNS
from tests.exchange_files import FO_BHAVCOPY

pytestmark = pytest.mark.django_db

SOURCE = (FO_BHAVCOPY / "NIFTY_20260327.csv").read_text().splitlines(keepends=True)
HEADER = SOURCE[0]
OPTIONS = [line for line in SOURCE[1:] if ",IDO," in line][:24]
FUTURES = [line for line in SOURCE[1:] if ",IDF," in line][:1]
BASE = HEADER + "".join(OPTIONS + FUTURES)
COLUMN = {name: i for i, name in enumerate(HEADER.strip().split(","))}

NAMED = re.compile(
    r"line \d+|column|UTF-16|NUL|bytes; a bhavcopy is at most|zip|HTML|not a UDiFF|no index option|"
    r"several trade dates|known underlying|does not fit"
)
"""What a refusal names: a line or column, or the file-level reason."""

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _counts() -> tuple[int, int, int]:
    return OptionQuote.objects.count(), UnderlyingQuote.objects.count(), Instrument.objects.count()


@pytest.fixture
def underlyings(db: None) -> None:
    underlyings_load()


def _import_or_refusal(path: Path, **kwargs: int) -> ApplicationError | None:
    """None when the file imported; the refusal otherwise, after checking it stored nothing."""
    before = _counts()
    try:
        bhavcopy_import(path=path, **kwargs)
    except ApplicationError as exc:
        assert _counts() == before, f"a refused file stored rows: {exc.message}"
        assert exc.message.startswith(f"{path.name}: ")
        assert NAMED.search(exc.message), exc.message
        return exc
    return None


def _with_cell(line_index: int, column: str, value: str) -> str:
    """BASE with one cell of one option row replaced."""
    rows = BASE.splitlines(keepends=True)
    cells = rows[line_index].rstrip("\r\n").split(",")
    cells[COLUMN[column]] = value
    rows[line_index] = ",".join(cells) + "\n"
    return "".join(rows)


def test_the_base_file_imports(tmp_path: Path, underlyings) -> None:
    path = tmp_path / "base.csv"
    path.write_text(BASE)

    result = bhavcopy_import(path=path)

    assert result.options["NIFTY"] == len(OPTIONS)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(BASE.encode()) - 1))
def test_a_truncated_file_imports_what_is_whole_or_is_refused(tmp_path: Path, underlyings, cut: int) -> None:
    path = tmp_path / "truncated.csv"
    path.write_bytes(BASE.encode()[:cut])

    _import_or_refusal(path)


@FUZZ
@given(
    position=st.integers(min_value=0, max_value=len(BASE.encode()) - 1),
    garbage=st.binary(min_size=1, max_size=40),
)
def test_a_garbled_file_is_imported_or_refused_naming_where(
    tmp_path: Path, underlyings, position: int, garbage: bytes
) -> None:
    raw = BASE.encode()
    path = tmp_path / "garbled.csv"
    path.write_bytes(raw[:position] + garbage + raw[position + len(garbage) :])

    _import_or_refusal(path)


@FUZZ
@given(
    line=st.integers(min_value=1, max_value=len(OPTIONS)),
    column=st.sampled_from(UDIFF_COLUMNS),
    value=st.text(max_size=30) | st.sampled_from(["NaN", "inf", "-1", "1e400", "9" * 40, "=1+1", ""]),
)
def test_any_value_in_any_cell_is_imported_or_refused_naming_where(
    tmp_path: Path, underlyings, line: int, column: str, value: str
) -> None:
    path = tmp_path / "cell.csv"
    path.write_text(_with_cell(line, column, value.replace(",", ";").replace("\n", " ")), encoding="utf-8")

    _import_or_refusal(path)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("SttlmPric", "NaN", "line 2, column SttlmPric: 'NaN' is not a finite number"),
        ("OpnIntrst", "-6890", "line 2: negative open interest (-6890)"),
        ("OpnIntrst", "1e400", "line 2, column OpnIntrst: '1e400' is not a finite number"),
        ("OpnIntrst", "9" * 30, "line 2, column OpnIntrst: '" + "9" * 30 + "' is out of range"),
        ("FinInstrmId", "99999999999999999999", "line 2, column FinInstrmId:"),
        ("FinInstrmNm", '=HYPERLINK("http://evil")', "line 2, column FinInstrmNm:"),
        ("FinInstrmNm", "@SUM(A1)", "line 2, column FinInstrmNm:"),
        ("TckrSymb", "+NIFTY", "line 2, column TckrSymb:"),
        ("FinInstrmNm", "N" * 200, "line 2, column FinInstrmNm: 200 characters"),
        ("TradDt", "0001-01-01", "line 2, column TradDt: '0001-01-01' is before 2000-01-01"),
        ("XpryDt", "9999-12-31", "line 2, column XpryDt: '9999-12-31' is after 2099-12-31"),
        ("OptnTp", "XX", "line 2, column OptnTp"),
    ],
)
def test_a_hostile_value_is_refused_naming_line_and_column(
    tmp_path: Path, underlyings, column: str, value: str, expected: str
) -> None:
    path = tmp_path / "hostile.csv"
    path.write_text(_with_cell(1, column, value))

    refusal = _import_or_refusal(path)

    assert refusal is not None and expected in refusal.message, refusal


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (BASE.encode("utf-16"), "UTF-16"),
        (BASE.encode("utf-16-le"), "line 1 holds a NUL byte"),
        (BASE.replace("TradDt", "TradeDate", 1).encode(), "missing column(s) TradDt in line 1"),
        (b"", "missing column(s) TradDt"),
        (b"<!DOCTYPE html><html>404</html>", "HTML page"),
        (HEADER.encode() + b'2026-03-27,"unterminated' + b"x" * 200_000, "not readable as CSV"),
        (b"PK\x03\x04 not really a zip", "broken zip"),
    ],
)
def test_a_wrongly_encoded_or_shaped_file_is_refused(
    tmp_path: Path, underlyings, content: bytes, expected: str
) -> None:
    path = tmp_path / "shaped.csv"
    path.write_bytes(content)

    refusal = _import_or_refusal(path)

    assert refusal is not None and expected in refusal.message, refusal


def test_latin_1_bytes_in_a_remark_are_read(tmp_path: Path, underlyings) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(_with_cell(1, "Rmks", "caf\xe9").encode("latin-1"))

    assert _import_or_refusal(path) is None
    assert OptionQuote.objects.count() == len(OPTIONS)


def test_an_oversized_file_or_zip_member_is_refused_before_it_is_read(tmp_path: Path, underlyings) -> None:
    plain = tmp_path / "big.csv"
    plain.write_text(BASE)
    zipped = tmp_path / "big.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.csv", BASE + "".join(OPTIONS) * 200)  # compresses to far less than it unzips to
    limit = len(BASE.encode()) - 1

    plain_refusal = _import_or_refusal(plain, max_bytes=limit)
    zip_refusal = _import_or_refusal(zipped, max_bytes=zipped.stat().st_size + 1)

    assert plain_refusal is not None and f"the file is {len(BASE.encode()):,} bytes" in plain_refusal.message
    assert zip_refusal is not None and "big.csv unzipped is" in zip_refusal.message
    assert OptionQuote.objects.count() == 0


def test_a_zip_of_a_good_file_imports(tmp_path: Path, underlyings) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fo.csv", BASE)
    path = tmp_path / "fo.zip"
    path.write_bytes(buffer.getvalue())

    assert _import_or_refusal(path) is None
    assert OptionQuote.objects.count() == len(OPTIONS)
