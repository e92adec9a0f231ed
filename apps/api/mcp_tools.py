"""A Model Context Protocol server (the official ``mcp`` SDK) with read-only tools over our selectors: the chain
at a minute, the analytics summary, a history series, participants and alerts (docs/mcp.md).

Every call is authenticated by an API token: over HTTP the request's ``Authorization: Token <key>`` (or
``Bearer <key>``) header, over stdio the token the process was started with (``OPTRADING_MCP_TOKEN``).
Tools call the selectors directly, never our HTTP API; errors the selectors raise (an unknown symbol, a bad
field) come back as tool errors with their message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from apps.alerts.selectors import event_list
from apps.alerts.serializers import EventSerializer
from apps.analytics import selectors
from apps.api.analytics import HISTORY_FIELDS
from apps.core.api_tokens import api_token_for_key
from apps.core.errors import ApplicationError
from apps.market.clock import IST
from apps.participants.models import ParticipantKind
from apps.participants.selectors import participants_dates, participants_for_date

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "Read-only tools over optrading's archive of Indian index options (NIFTY, BANKNIFTY, SENSEX, ...). Times are "
    "ISO 8601; without an offset they are IST. IV and vols are decimals; OI and volume are in units."
)


def user_for_token(key: str | None) -> AbstractBaseUser | None:
    """The active user an API token (stored hashed, apps.core.api_tokens) belongs to, or None."""
    if not key:
        return None
    token = api_token_for_key(key.strip())
    return token.user if token is not None else None


def token_from_headers(headers: Any) -> str | None:
    if not headers:
        return None
    value = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, key = value.partition(" ")
    return key.strip() if scheme.lower() in {"token", "bearer"} and key.strip() else None


def _moment(text: str | None, name: str = "at") -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ToolError(f"{name}={text!r} is not an ISO 8601 time; use e.g. 2026-01-19T10:15 (IST).") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=IST)).astimezone(UTC)


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ToolError(f"{name}={text!r} is not a date; use YYYY-MM-DD.") from None


def _plain(value: Any) -> dict[str, Any]:
    """JSON-ready data as the tool's structured result (dates and decimals as text)."""
    data = json.loads(json.dumps(value, default=str))
    return data if isinstance(data, dict) else {"items": data}


def build_server(*, default_token: str | None = None) -> MCPServer:
    """The MCP server. ``default_token`` authenticates calls that carry no Authorization header (stdio, tests);
    over HTTP leave it None so that each request must bring its own."""
    server = MCPServer(name="optrading", instructions=INSTRUCTIONS, version="1")

    async def call(ctx: Context, work: Callable[[AbstractBaseUser], Any]) -> dict[str, Any]:
        def run() -> Any:
            user = user_for_token(token_from_headers(_headers(ctx)) or default_token)
            if user is None:
                raise ToolError("Not authenticated: give a valid API token (Authorization: Token <key>).")
            try:
                return _plain(work(user))
            except ApplicationError as exc:
                raise ToolError(exc.message) from None

        return await sync_to_async(run)()

    @server.tool(annotations=READ_ONLY)
    async def option_chain(
        ctx: Context, symbol: str, expiry: str | None = None, bucket: str | None = None, at: str | None = None
    ) -> dict[str, Any]:
        """Every strike of one expiry at an analysed minute: both legs' quote, IV, greeks, OI, ΔOI, build-up.
        expiry YYYY-MM-DD or bucket (this_week, next_week, this_month, next_month); at: a past minute."""
        when, day = _moment(at), _day(expiry, "expiry")
        return await call(
            ctx, lambda _: selectors.chain_greeks(underlying=symbol, expiry=day, bucket=bucket or None, at=when)
        )

    @server.tool(annotations=READ_ONLY)
    async def analytics_summary(
        ctx: Context, symbol: str, expiry: str | None = None, bucket: str | None = None, at: str | None = None
    ) -> dict[str, Any]:
        """Forward, ATM IV, straddle, expected move, PCR, max pain, RR25/BF25, OI walls, net GEX, sentiment."""
        when, day = _moment(at), _day(expiry, "expiry")
        return await call(
            ctx, lambda _: selectors.chain_summary(underlying=symbol, expiry=day, bucket=bucket or None, at=when)
        )

    @server.tool(annotations=READ_ONLY)
    async def history_series(
        ctx: Context,
        symbol: str,
        field: str,
        start: str | None = None,
        end: str | None = None,
        bucket: str | None = None,
        daily: bool = False,
    ) -> dict[str, Any]:
        """A stored chain metric over time. field: one of pcr_oi, pcr_volume, max_pain, atm_iv, straddle,
        expected_move, rr25, bf25, net_gex. start/end ISO times (default the last 30 days)."""
        if field not in HISTORY_FIELDS:
            raise ToolError(f"field={field!r} is not valid; choose one of {', '.join(HISTORY_FIELDS)}.")
        until = _moment(end, "end") or timezone.now()
        since = _moment(start, "start") or until - timedelta(days=30)
        return await call(
            ctx,
            lambda _: selectors.history(
                underlying=symbol, field=field, start=since, end=until, bucket=bucket or None, daily=daily
            ),
        )

    @server.tool(annotations=READ_ONLY)
    async def participants(ctx: Context, day: str | None = None, kind: str = "oi") -> dict[str, Any]:
        """NSE's participant-wise positions (FII, DII, Pro, Client) of one session; kind oi or volume."""
        if kind not in ParticipantKind.values:
            raise ToolError(f"kind={kind!r} is not valid; choose one of {', '.join(ParticipantKind.values)}.")
        session = _day(day, "day")

        def read(_: AbstractBaseUser) -> Any:
            chosen = session
            if chosen is None:
                stored = participants_dates(kind=kind)
                if not stored:
                    raise ApplicationError(f"No participant {kind} data is imported yet.")
                chosen = stored[0]
            return participants_for_date(chosen, kind=kind)

        return await call(ctx, read)

    @server.tool(annotations=READ_ONLY)
    async def alerts(ctx: Context, limit: int = 20) -> dict[str, Any]:
        """Your latest alert firings, newest first, with their deliveries (staff: everyone's)."""
        if not 1 <= limit <= 200:
            raise ToolError(f"limit={limit} must be between 1 and 200.")
        return await call(
            ctx, lambda user: {"events": EventSerializer(event_list(user=user, limit=limit), many=True).data}
        )

    return server


def _headers(ctx: Context) -> Any:
    try:
        return ctx.headers
    except (ValueError, AttributeError):
        return None
