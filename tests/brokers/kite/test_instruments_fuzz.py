"""Kite's instruments dump fed broken (hypothesis), through the real client against the Kite double: truncated,
garbled, wrongly encoded, oversized, hostile. Each sync imports or is refused with an ApplicationError naming
the line and column (or the file-level reason), and a refused dump writes no instrument."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.instruments_dump import DUMP_COLUMNS, InstrumentsDumpError, instruments_dump_parse
from apps.collection.services.instruments import instruments_sync
from apps.core.errors import ApplicationError
from apps.market.models import Instrument
from apps.market.services import underlyings_load
from tests.kite_double import KiteDouble

pytestmark = pytest.mark.django_db

NAMED = re.compile(r"line \d+|column|row \d+|NUL|bytes|UTF-8|missing column")
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def base(kite_double: KiteDouble, db: None) -> bytes:
    """The double's NSE dump: the 12-column header and a few dozen index and equity rows."""
    underlyings_load()
    return kite_double.book.instruments_csv("NSE").encode()


def _sync_or_refusal(broker: KiteBroker, double: KiteDouble, body: bytes) -> ApplicationError | None:
    double.instruments_body = body
    before = list(Instrument.objects.order_by("pk").values_list("pk", "tradingsymbol", "active"))
    try:
        instruments_sync(broker=broker, exchanges=["NSE"])
    except ApplicationError as exc:
        after = list(Instrument.objects.order_by("pk").values_list("pk", "tradingsymbol", "active"))
        assert after == before, f"a refused dump wrote instruments: {exc.message}"
        assert exc.message.startswith("Instruments dump for NSE") and "Nothing was written" in exc.message
        assert NAMED.search(exc.message), exc.message
        return exc
    return None


def test_the_base_dump_syncs(kite_broker: KiteBroker, kite_double: KiteDouble, base: bytes) -> None:
    assert _sync_or_refusal(kite_broker, kite_double, base) is None
    assert Instrument.objects.filter(exchange="NSE").count() == base.count(b"\n") - 1


@FUZZ
@given(cut=st.integers(min_value=0, max_value=2000))
def test_a_truncated_dump_syncs_what_is_whole_or_is_refused(
    kite_broker: KiteBroker, kite_double: KiteDouble, base: bytes, cut: int
) -> None:
    _sync_or_refusal(kite_broker, kite_double, base[:cut])


@FUZZ
@given(position=st.integers(min_value=0, max_value=3000), garbage=st.binary(min_size=1, max_size=30))
def test_a_garbled_dump_is_synced_or_refused_naming_where(
    kite_broker: KiteBroker, kite_double: KiteDouble, base: bytes, position: int, garbage: bytes
) -> None:
    _sync_or_refusal(kite_broker, kite_double, base[:position] + garbage + base[position + len(garbage) :])


def _with_cell(base: bytes, column: str, value: str) -> bytes:
    lines = base.decode().splitlines()
    cells = lines[1].split(",")
    cells[DUMP_COLUMNS.index(column)] = value
    lines[1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("instrument_token", "abc", "line 2, column instrument_token: 'abc' is not a whole number"),
        ("instrument_token", "9" * 30, "line 2, column instrument_token:"),
        ("strike", "NaN", "line 2, column strike: 'NaN' is out of range"),
        ("tick_size", "1e400", "line 2, column tick_size: '1e400' is out of range"),
        ("lot_size", "-5", "row 1"),  # parsed, then refused by the sync's own check (a negative lot size)
        ("tradingsymbol", "=HYPERLINK(1)", "line 2, column tradingsymbol"),
        ("name", "@SUM(A1)", "line 2, column name"),
        ("name", "N" * 100, "line 2, column name"),
        ("expiry", "0001-01-01", "line 2, column expiry: '0001-01-01' is before 2000-01-01"),
        ("expiry", "27/01/2026", "line 2, column expiry: '27/01/2026' is not YYYY-MM-DD"),
    ],
)
def test_a_hostile_value_is_refused_naming_line_and_column(
    kite_broker: KiteBroker, kite_double: KiteDouble, base: bytes, column: str, value: str, expected: str
) -> None:
    refusal = _sync_or_refusal(kite_broker, kite_double, _with_cell(base, column, value))

    assert refusal is not None and expected in refusal.message, refusal


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        (lambda body: body.decode().encode("utf-16"), "NUL bytes"),
        (lambda body: body.replace(b"tradingsymbol", b"symbol", 1), "line 1: missing column(s) tradingsymbol"),
        (lambda body: body.replace(b"NIFTY", b"NIFTY\xe9", 1), "not UTF-8 text"),
        (lambda body: body + b'1,2,"unterminated' + b"x" * 200_000, "not readable as CSV"),
    ],
)
def test_a_wrongly_encoded_or_shaped_dump_is_refused(
    kite_broker: KiteBroker, kite_double: KiteDouble, base: bytes, transform, expected: str
) -> None:
    refusal = _sync_or_refusal(kite_broker, kite_double, transform(base))

    assert refusal is not None and expected in refusal.message, refusal


def test_an_oversized_dump_is_refused() -> None:
    header = ",".join(DUMP_COLUMNS).encode() + b"\n"
    with pytest.raises(InstrumentsDumpError, match=r"the dump is 1,025 bytes; at most 1,024"):
        instruments_dump_parse(header + b"x" * (1025 - len(header)), max_bytes=1024)
