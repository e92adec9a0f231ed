"""Temporary staging tables for the bulk paths: rows go in by COPY, then one statement moves them on.

A stage is a temporary table shaped like (some columns of) a real table, created on first use in a session and
emptied at every commit (``ON COMMIT DELETE ROWS``), so a caller inside a transaction finds it empty unless it
left rows in it itself. PostgreSQL only.
"""

from __future__ import annotations

from typing import Any


def stage_create(cursor: Any, *, table: str, columns: list[str]) -> str:
    """The quoted name of ``table``'s stage with ``columns`` (created if this session has none yet)."""
    quote = cursor.db.ops.quote_name
    stage = quote(f"_stage_{table}")
    names = ", ".join(quote(column) for column in columns)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608 - model identifiers
        f"SELECT {names} FROM {quote(table)} WITH NO DATA"
    )
    return stage
