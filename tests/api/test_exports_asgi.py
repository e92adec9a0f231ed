"""The CSV exports stream under ASGI too: Django reads a synchronous iterator to its end before the first byte
(and warns that it did), so the exports give it an asynchronous one, produced piece by piece from the database.

The request goes through Django's real ASGI application; the test's rows are committed (transaction=True)
because the ASGI handler runs the view in a thread and database connection of its own.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

from apps.api.exports import CHAIN_COLUMNS, CSV_CHUNK_LINES, QUOTE_COLUMNS
from apps.core.api_tokens import api_token_create
from apps.marketdata.models import OptionQuote
from tests.factories.market import OptionInstrumentFactory, UnderlyingFactory
from tests.factories.marketdata import MINUTE, OptionQuoteFactory

pytestmark = pytest.mark.django_db(transaction=True)

MINUTES = 75
STRIKES = [22800.0 + 50 * i for i in range(10)]
ROWS = MINUTES * len(STRIKES) * 2


@pytest.fixture
def a_day_of_quotes(db: None) -> None:
    """75 minutes of 10 strikes x CE/PE on 19 Jan 2026: 1,500 legs, 750 chain rows, several pieces each."""
    nifty = UnderlyingFactory()
    instruments = {
        (strike, kind): OptionInstrumentFactory(
            underlying=nifty, strike=strike, instrument_type=kind, expiry=OptionQuoteFactory.expiry
        )
        for strike in STRIKES
        for kind in ("CE", "PE")
    }
    OptionQuote.objects.bulk_create(
        OptionQuoteFactory.build(
            underlying=nifty,
            instrument=instrument,
            minute=MINUTE + timedelta(minutes=index),
            strike=strike,
            option_type=kind,
            last_price=100 + index,
        )
        for index in range(MINUTES)
        for (strike, kind), instrument in instruments.items()
    )


def _token(django_user_model: Any) -> str:
    user = django_user_model.objects.create_user("exporter", password="not-used-123")
    return api_token_create(user=user).key


async def _asgi_get(path: str, query: str, token: str) -> tuple[int, dict[bytes, bytes], list[bytes]]:
    """The status, headers and each body message of one GET through Django's ASGI application."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), (b"authorization", f"Token {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(get_asgi_application(), scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(timeout=60)
    assert start["type"] == "http.response.start"
    bodies = []
    while True:
        message = await communicator.receive_output(timeout=60)
        assert message["type"] == "http.response.body"
        bodies.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    await communicator.wait(timeout=10)
    return start["status"], {name.lower(): value for name, value in start["headers"]}, bodies


def _get(path: str, query: str, token: str) -> tuple[int, dict[bytes, bytes], list[bytes], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, headers, bodies = async_to_sync(_asgi_get)(path, query, token)
    return status, headers, bodies, [str(warning.message) for warning in caught]


def _rows(bodies: list[bytes]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(bodies).decode())))


@pytest.mark.parametrize(
    ("path", "query", "columns", "rows"),
    [
        ("/api/v1/exports/quotes.csv", "date=2026-01-19", QUOTE_COLUMNS, ROWS),
        ("/api/v1/exports/chain.csv", "date=2026-01-19&symbol=NIFTY", CHAIN_COLUMNS, ROWS // 2),
    ],
)
def test_a_csv_export_is_sent_in_pieces_as_it_is_read_under_asgi(
    a_day_of_quotes, django_user_model, path: str, query: str, columns: list[str], rows: int
) -> None:
    status, headers, bodies, warned = _get(path, query, _token(django_user_model))

    assert status == 200
    assert headers[b"content-type"] == b"text/csv; charset=utf-8"
    # Not read to its end first: Django warns when it has to consume a synchronous iterator.
    assert not [message for message in warned if "synchronous iterators" in message], warned
    content = [body for body in bodies if body]
    # At least one message per piece of CSV_CHUNK_LINES lines (Django splits a piece over 64 KiB in two).
    assert len(content) >= -(-(rows + 1) // CSV_CHUNK_LINES) > 1
    assert max(len(body) for body in content) <= ASGIHandler.chunk_size
    parsed = _rows(bodies)
    assert parsed[0] == columns
    assert len(parsed) == rows + 1
    assert parsed[1][0] == "2026-01-19T09:30:00+05:30"
    assert parsed[-1][0] == "2026-01-19T10:44:00+05:30"


def test_the_wsgi_path_streams_the_same_csv(a_day_of_quotes, django_user_model) -> None:
    client = Client(headers={"authorization": f"Token {_token(django_user_model)}"})
    response = client.get("/api/v1/exports/quotes.csv", {"date": "2026-01-19"})

    assert response.streaming and not response.is_async
    pieces = list(response.streaming_content)
    assert len(pieces) == -(-(ROWS + 1) // CSV_CHUNK_LINES)
    assert len(_rows(pieces)) == ROWS + 1


@pytest.mark.parametrize(
    ("query", "named"),
    [("date=0001-01-01", "date"), ("date=9999-12-31", "date"), ("date=2026-01-19&symbol=NIF%00TY", "symbol")],
)
def test_a_bad_export_request_is_a_400_or_404_before_any_byte_under_asgi(
    a_day_of_quotes, django_user_model, query: str, named: str
) -> None:
    status, headers, bodies, _ = _get("/api/v1/exports/chain.csv", query, _token(django_user_model))

    assert status in (400, 404)
    assert headers[b"content-type"] == b"application/json"
    assert named in b"".join(bodies).decode().lower()
