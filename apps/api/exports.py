"""Day exports of the archive: every option leg as CSV or Parquet, and the CE/PE-merged chain as CSV.

Files are produced while they are sent (CSV, under WSGI and ASGI) or spooled to a temporary file (Parquet), so
a full day of a full chain never sits in memory. ``ts`` is the minute in IST.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import models
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.api import params
from apps.api.serializers import ErrorSerializer
from apps.archive.selectors import archived_day_check
from apps.core.errors import ApplicationError
from apps.market.clock import IST
from apps.market.models import Underlying
from apps.marketdata import legs
from apps.marketdata.models import OptionQuote
from apps.marketdata.selectors import EXPORT_QUOTE_FIELDS, chain_export_rows, quote_export_rows

PARQUET_BATCH_ROWS = 20_000

_RENAMES = {
    "minute": "ts",
    "underlying__symbol": "symbol",
    "instrument__tradingsymbol": "tradingsymbol",
    "instrument__instrument_token": "instrument_token",
}
QUOTE_COLUMNS = [_RENAMES.get(field, field) for field in EXPORT_QUOTE_FIELDS]
CHAIN_COLUMNS = [
    "ts",
    "expiry",
    "expiry_bucket",
    "strike",
    "strike_offset",
    "spot",
    "forward",
    *(f"{leg}_{name}" for leg in ("ce", "pe") for name in legs.CHAIN),
]

DATE_PARAMETER = OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="IST trading day, YYYY-MM-DD.")


class _FirstRendererNegotiation(BaseContentNegotiation):
    """Files are not content-negotiated: errors are always JSON, whatever the client's Accept header."""

    def select_parser(self, request: Request, parsers: Iterable[Any]) -> Any:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return (first, first.media_type)


class _ExportApi(APIView):
    content_negotiation_class = _FirstRendererNegotiation


class QuotesCsvApi(_ExportApi):
    """Every option leg archived on an IST day, one row per leg and minute."""

    @extend_schema(
        parameters=[DATE_PARAMETER],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="CSV; columns: " + ", ".join(QUOTE_COLUMNS)
            ),
            400: ErrorSerializer,
            410: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        day = params.parse_required_date(request.query_params, "date")
        archived_day_check(day)
        rows = (_quote_row(row) for row in quote_export_rows(day=day))
        return _csv_response(request, QUOTE_COLUMNS, rows, filename=f"quotes_{day.isoformat()}.csv")


class QuotesParquetApi(_ExportApi):
    """The same rows as quotes.csv as a Parquet file; ``ts`` is a timestamp in Asia/Kolkata."""

    @extend_schema(
        parameters=[DATE_PARAMETER],
        responses={
            (200, "application/vnd.apache.parquet"): OpenApiResponse(OpenApiTypes.BINARY, description="Parquet"),
            400: ErrorSerializer,
            410: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> FileResponse:
        day = params.parse_required_date(request.query_params, "date")
        archived_day_check(day)
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
        _write_parquet(spool, (_quote_row(row) for row in quote_export_rows(day=day)))
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=f"quotes_{day.isoformat()}.parquet",
            content_type="application/vnd.apache.parquet",
        )


class ChainCsvApi(_ExportApi):
    """One underlying's chain on an IST day: one row per minute, expiry and strike, CE and PE side by side."""

    @extend_schema(
        parameters=[
            DATE_PARAMETER,
            OpenApiParameter("symbol", OpenApiTypes.STR, required=True, description="Underlying, e.g. NIFTY."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="CSV; columns: " + ", ".join(CHAIN_COLUMNS)
            ),
            400: ErrorSerializer,
            404: ErrorSerializer,
            410: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        day = params.parse_required_date(request.query_params, "date")
        archived_day_check(day)
        symbol = request.query_params.get("symbol", "")
        if not symbol:
            raise ApplicationError("symbol is required, e.g. symbol=NIFTY.")
        underlying = params.underlying_get(symbol=symbol)
        rows = ({**row, "ts": _ist(row.pop("minute"))} for row in chain_export_rows(day=day, underlying=underlying))
        return _csv_response(request, CHAIN_COLUMNS, rows, filename=f"chain_{underlying.symbol}_{day.isoformat()}.csv")


def _ist(minute: datetime) -> datetime:
    return minute.astimezone(IST)


def _quote_row(row: dict[str, Any]) -> dict[str, Any]:
    shaped = {_RENAMES.get(name, name): value for name, value in row.items()}
    shaped["ts"] = _ist(shaped["ts"])
    return shaped


class _Echo:
    """A file-like sink for csv.writer that hands each encoded line back to the response."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return value


CSV_CHUNK_LINES = 500
"""CSV lines per piece sent: one piece in memory at a time (and the database's 5000-row fetch behind it)."""


def _csv_response(
    request: Request, columns: list[str], rows: Iterator[dict[str, Any]], *, filename: str
) -> StreamingHttpResponse:
    """The rows as CSV, produced while they are sent, under WSGI and ASGI alike.

    Under ASGI, Django reads a synchronous iterator to its end before sending a byte, so a whole day would sit in
    memory: there the response gets an asynchronous iterator that produces each piece in the request's own
    database thread (``sync_to_async``, thread-sensitive), where the server-side cursor lives. Every parameter
    has been checked before this is called, so a bad request is a 400, never a 200 that breaks off."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow([_csv_value(row[column]) for column in columns])

    def pieces() -> Iterator[str]:
        source = lines()
        while piece := "".join(islice(source, CSV_CHUNK_LINES)):
            yield piece

    content: Iterator[str] | AsyncIterator[str]
    content = _async_pieces(pieces()) if isinstance(request._request, ASGIRequest) else pieces()
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


async def _async_pieces(pieces: Iterator[str]) -> AsyncIterator[str]:
    """Each piece of ``pieces`` produced on demand in the request's database thread, closed however it ends."""
    produce = sync_to_async(partial(next, pieces, None), thread_sensitive=True)
    try:
        while (piece := await produce()) is not None:
            yield piece
    finally:
        await sync_to_async(pieces.close, thread_sensitive=True)()  # type: ignore[attr-defined]


_ARROW_TYPES = {
    "FloatField": pa.float64(),
    "BigIntegerField": pa.int64(),
    "SmallIntegerField": pa.int32(),
    "DateField": pa.date32(),
    "DateTimeField": pa.timestamp("ms", tz="Asia/Kolkata"),
    "JSONField": pa.list_(pa.string()),  # the one JSON column, quality_flags: a list of flag names
}
"""Parquet type per Django field type; text columns (and any other type) are strings."""


def _model_field(lookup: str) -> models.Field:
    """The model field behind an export field name, following ``__`` relations from OptionQuote."""
    model: type[models.Model] = OptionQuote
    *relations, name = lookup.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model  # type: ignore[assignment]
    return model._meta.get_field(name)  # type: ignore[return-value]


QUOTE_PARQUET_SCHEMA = pa.schema(
    [
        (_RENAMES.get(lookup, lookup), _ARROW_TYPES.get(_model_field(lookup).get_internal_type(), pa.string()))
        for lookup in EXPORT_QUOTE_FIELDS
    ]
)


def _chain_type(column: str) -> pa.DataType:
    if column == "ts":
        return _ARROW_TYPES["DateTimeField"]
    name = column[3:] if column[:3] in ("ce_", "pe_") else column
    return _ARROW_TYPES.get(_model_field(name).get_internal_type(), pa.string())


CHAIN_PARQUET_SCHEMA = pa.schema([(column, _chain_type(column)) for column in CHAIN_COLUMNS])
"""The CE/PE-merged chain's columns, typed as the leg fields they come from."""


def _write_parquet(sink: Any, rows: Iterator[dict[str, Any]], schema: pa.Schema = QUOTE_PARQUET_SCHEMA) -> None:
    with pq.ParquetWriter(sink, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= PARQUET_BATCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        # Always write the last (possibly empty) batch so an empty day is still a valid file with columns.
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))


def quote_rows(*, day: date, underlying: Underlying | None = None) -> Iterator[dict[str, Any]]:
    """Every leg of the day as the exports write it (``ts`` in IST, symbol, tradingsymbol, token)."""
    return (_quote_row(row) for row in quote_export_rows(day=day, underlying=underlying))


def chain_rows(*, day: date, underlying: Underlying) -> Iterator[dict[str, Any]]:
    """The CE/PE-merged chain of the day as the exports write it."""
    return ({**row, "ts": _ist(row.pop("minute"))} for row in chain_export_rows(day=day, underlying=underlying))


def file_write(path: Path, *, kind: str, file_format: str, rows: Iterator[dict[str, Any]]) -> int:
    """Write ``rows`` of ``kind`` ("quotes" or "chain") to ``path`` as csv or parquet; returns the row count."""
    columns, schema = (
        (QUOTE_COLUMNS, QUOTE_PARQUET_SCHEMA) if kind == "quotes" else (CHAIN_COLUMNS, CHAIN_PARQUET_SCHEMA)
    )
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    if file_format == "parquet":
        _write_parquet(str(path), counted(), schema)
        return count
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in counted():
            writer.writerow([_csv_value(row[column]) for column in columns])
    return count
