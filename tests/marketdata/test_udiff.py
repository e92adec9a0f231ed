"""The UDiFF parser's two readers (pure, no database): the fast columnar one (pyarrow) and the line-by-line one
read every real NSE fixture to the same rows, and a file the fast one does not vouch for is read line by line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.marketdata import udiff
from apps.marketdata.udiff import BhavcopyError, bhavcopy_parse, bhavcopy_text
from tests.exchange_files import FO_BHAVCOPY

FIXTURES = sorted(FO_BHAVCOPY.glob("*.csv"))


def _line_by_line(text: str) -> list[udiff.BhavRow]:
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader)]
    return udiff._rows(reader, header)


def _fast(text: str) -> list[udiff.BhavRow] | None:
    header = [cell.strip() for cell in next(csv.reader(io.StringIO(text)))]
    return udiff._rows_plain(text, header)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_both_readers_read_every_fixture_to_the_same_rows(path: Path) -> None:
    text = bhavcopy_text(path)

    fast = _fast(text)

    assert fast is not None  # real files are in the plain form: the fast reader reads them
    assert repr(fast) == repr(_line_by_line(text))  # repr: 1 and 1.0, 0.0 and -0.0 would differ
    assert bhavcopy_parse(text) == fast


def test_the_nifty_day_reads_to_its_real_numbers() -> None:
    rows = bhavcopy_parse(bhavcopy_text(FO_BHAVCOPY / "NIFTY_20260327.csv"))

    assert len(rows) == 2126 and sum(r.kind == "IDO" for r in rows) == 2123
    first = rows[0]
    assert (first.line, first.token, first.name, first.strike, first.option_type) == (
        2, 54870, "NIFTY2641324450CE", 24450.0, "CE"
    )  # fmt: skip
    assert (first.settlement, first.previous_close, first.underlying_price) == (72.10, 113.95, 22819.60)
    assert (first.oi, first.oi_change, first.volume_contracts, first.lot_size) == (6890, 1365, 244, 65)
    futures = [r for r in rows if r.kind == "IDF"]
    assert [(r.strike, r.option_type) for r in futures] == [(0.0, "")] * 3


def _edited(source: str, edit) -> str:  # type: ignore[no-untyped-def]
    lines = bhavcopy_text(FO_BHAVCOPY / source).splitlines(keepends=True)
    return "".join(edit(lines))


def _cell(lines: list[str], index: int, column: str, value: str) -> list[str]:
    header = lines[0].strip().split(",")
    cells = lines[index].rstrip("\r\n").split(",")
    cells[header.index(column)] = value
    return [*lines[:index], ",".join(cells) + "\r\n", *lines[index + 1 :]]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("SttlmPric", " 72.10"),  # padded: the line-by-line reader strips it
        ("OpnIntrst", "6890.0"),  # a whole number written as a decimal
        ("FinInstrmTp", " IDO"),
        ("PrvsClsgPric", " "),
        ("StrkPric", "2.445e4"),
        ("Rmks", "a remark"),
    ],
)
def test_a_file_in_an_unusual_but_valid_form_reads_line_by_line_to_the_same_rows(column: str, value: str) -> None:
    text = _edited("FINNIFTY_20260327.csv", lambda ls: _cell(ls, 5, column, value))

    assert _fast(text) is None or column == "Rmks"  # a cell no row needs is not looked at
    assert bhavcopy_parse(text) == _line_by_line(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (lambda ls: _cell(ls, 400, "SttlmPric", "abc"), "line 401, column SttlmPric: 'abc' is not a number"),
        (lambda ls: _cell(ls, 7, "OpnIntrst", "-5"), "line 8: negative open interest (-5)"),
        (lambda ls: _cell(ls, 7, "NewBrdLotQty", "0"), "line 8, column NewBrdLotQty: lot size 0 is not positive"),
        (lambda ls: _cell(ls, 9, "XpryDt", "2100-01-01"), "line 10, column XpryDt: '2100-01-01' is after"),
        (lambda ls: _cell(ls, 3, "FinInstrmId", "9" * 25), "line 4, column FinInstrmId:"),
        (lambda ls: _cell(ls, 3, "OptnTp", "XX"), "line 4, column OptnTp: 'XX' is neither CE nor PE"),
        (lambda ls: _cell(ls, 3, "TckrSymb", "-FINNIFTY"), "line 4, column TckrSymb:"),
        (lambda ls: [*ls[:6], "2026-03-27,FO\r\n", *ls[6:]], "line 7 has 2 fields; the header has 34"),
        (lambda ls: [*ls[:6], "\r\n", *_cell(ls, 6, "SttlmPric", "x")[6:]], "line 8, column SttlmPric"),
    ],
)
def test_a_bad_cell_is_named_by_line_and_column_as_before(text, expected: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BhavcopyError, match=r"^" + expected.replace("(", r"\(").replace(")", r"\)")):
        bhavcopy_parse(_edited("FINNIFTY_20260327.csv", text))


def _outcome(text: str) -> str:
    try:
        return repr(bhavcopy_parse(text))
    except BhavcopyError as exc:
        return f"error: {exc}"


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(
    line=st.integers(min_value=1, max_value=40),
    column=st.sampled_from(udiff.UDIFF_COLUMNS),
    value=st.text(alphabet=st.sampled_from('0123456789.-+eE, \t\r"=@abIDOFCEPN_&\u00a0\u2003'), max_size=12)
    | st.sampled_from(["NaN", "inf", "-0", "-0.0", "007", "1e15", "999999999999999", "9" * 25, "IDO ", "", " "]),
)
def test_the_fast_reader_reads_or_fails_exactly_as_line_by_line(line: int, column: str, value: str) -> None:
    lines = bhavcopy_text(FO_BHAVCOPY / "FINNIFTY_20260327.csv").splitlines(keepends=True)[:60]
    text = "".join(_cell(lines, line, column, value))

    fast = _outcome(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(udiff, "_rows_plain", lambda *args: None)
        slow = _outcome(text)

    assert fast == slow
