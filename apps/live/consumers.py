"""Websocket feeds. Each consumer authenticates and validates in ``connect``, joins one group, and forwards.

A client may send ``{"type": "ping"}`` (answered ``{"type": "pong"}``); any other message, a binary frame, one
over 4 KiB or one that is not JSON gets an error message with code 4400 and the connection stays open.

Close codes (sent after accepting, so browsers see them): 4400 bad query parameter, 4401 not authenticated
(no session, no token, or an unknown token), 4403 authenticated but not allowed (inactive user). An
``{"type": "error", ...}`` message saying what was wrong precedes the close.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.alerts.transports.websocket import STAFF_GROUP, user_group
from apps.live.publisher import (
    PAYLOAD_VERSION,
    AnalyticsSummary,
    ChainMessage,
    ChainRow,
    ChainUpdate,
    ErrorMessage,
    HealthMessage,
    analytics_group,
    chain_group,
    chain_latest_build,
)
from apps.live.ws_auth import AUTH_ERROR_SCOPE_KEY, query_params
from apps.market.choices import ExpiryBucket
from apps.market.models import Underlying
from apps.monitoring.metrics import ws_client_connected, ws_client_disconnected

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
MAX_CLIENT_MESSAGE = 4096
"""The longest client message read; a ping is 16 characters."""
MAX_SYMBOL = 32
_SYMBOL = re.compile(r"[A-Z0-9&._-]+")


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """Authentication and error reporting shared by the feeds."""

    group: str | None = None
    FORWARDED = frozenset({"chain.update", "analytics.summary"})
    """Group messages the feeds forward without touching the database."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels closes stale database connections before every handler, a hop to its one database thread;
        for the publisher's messages, which read nothing, that was one hop per client per update, all queued
        on that thread (a fifth of the websocket server's time fanning a chain out to 500 clients)."""
        if message["type"] in self.FORWARDED:
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def refuse(self, *, code: int, error: str) -> None:
        await self.accept()
        await self.send_json(ErrorMessage(type="error", version=PAYLOAD_VERSION, code=code, error=error))
        await self.close(code=code)

    async def authenticate(self) -> bool:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            reason = self.scope.get(AUTH_ERROR_SCOPE_KEY) or "Log in first, or pass ?token=<API token>."
            await self.refuse(code=CLOSE_UNAUTHENTICATED, error=reason)
            return False
        if not user.is_active:
            await self.refuse(code=CLOSE_FORBIDDEN, error="This account is inactive.")
            return False
        self.counted = True
        ws_client_connected()
        return True

    async def join(self, group: str) -> None:
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            ws_client_disconnected()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """The feeds are one-way: a client may only ``{"type": "ping"}``. Anything else, binary, oversized or not
        JSON, gets an error message back (code 4400) and the connection stays open; nothing a client sends can
        raise in the consumer."""
        if text_data is None:
            await self.answer_bad_message('Binary frames are not accepted; send JSON text such as {"type": "ping"}.')
            return
        if len(text_data) > MAX_CLIENT_MESSAGE:
            await self.answer_bad_message(
                f"A message of {len(text_data):,} characters; at most {MAX_CLIENT_MESSAGE:,} are read."
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.answer_bad_message(f"Not JSON: {text_data[:40]!r}.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if not isinstance(kind, str):
            await self.answer_bad_message('A message is a JSON object with a string "type", e.g. {"type": "ping"}.')
            return
        if kind == "ping":
            await self.send_json({"type": "pong", "version": PAYLOAD_VERSION})
            return
        await self.answer_bad_message(f"Unknown message type {kind[:40]!r}; the feed is one-way and answers only ping.")

    async def answer_bad_message(self, error: str) -> None:
        await self.send_json(ErrorMessage(type="error", version=PAYLOAD_VERSION, code=CLOSE_BAD_REQUEST, error=error))


@database_sync_to_async
def _underlying(symbol: str) -> Underlying | None:
    return Underlying.objects.filter(symbol=symbol, active=True).first()


@database_sync_to_async
def _symbols() -> list[str]:
    return list(Underlying.objects.filter(active=True).values_list("symbol", flat=True))


class UnderlyingFeedConsumer(FeedConsumer):
    async def underlying_from_query(self) -> Underlying | None:
        symbol = query_params(self.scope).get("symbol", "").upper()
        plausible = len(symbol) <= MAX_SYMBOL and _SYMBOL.fullmatch(symbol)  # no database query for junk
        underlying = await _underlying(symbol) if plausible else None
        if underlying is None:
            known = ", ".join(await _symbols()) or "none configured"
            what = f"Unknown symbol {symbol[:MAX_SYMBOL]!r}" if symbol else "Missing ?symbol="
            await self.refuse(code=CLOSE_BAD_REQUEST, error=f"{what}; choose one of: {known}.")
        return underlying


class LiveChainConsumer(UnderlyingFeedConsumer):
    """``/ws/live-data/?symbol=NIFTY&bucket=this_week``: the chain after each collection, changed rows only."""

    async def connect(self) -> None:
        self.sent: dict[str, ChainRow] | None = None
        if not await self.authenticate():
            return
        underlying = await self.underlying_from_query()
        if underlying is None:
            return
        bucket = query_params(self.scope).get("bucket", ExpiryBucket.THIS_WEEK)
        if bucket not in ExpiryBucket.values:
            await self.refuse(
                code=CLOSE_BAD_REQUEST,
                error=f"Unknown bucket {bucket[:32]!r}; choose one of: {', '.join(ExpiryBucket.values)}.",
            )
            return
        await self.join(chain_group(symbol=underlying.symbol, bucket=bucket))
        latest = await database_sync_to_async(chain_latest_build)(underlying=underlying, bucket=bucket)
        if latest is not None:
            await self.chain_update(latest)

    async def chain_update(self, message: ChainMessage) -> None:
        """Forward the rows that differ from what this client holds; bounded by the size of one chain."""
        previous = self.sent or {}
        full = self.sent is None
        changed = [row for row in message["rows"] if previous.get(row["key"]) != row]
        current = {row["key"] for row in message["rows"]}
        removed = [key for key in previous if key not in current]
        self.sent = {row["key"]: row for row in message["rows"]}
        await self.send_json(
            ChainUpdate(
                type="chain.update",
                version=message["version"],
                symbol=message["symbol"],
                bucket=message["bucket"],
                minute=message["minute"],
                spot=message["spot"],
                forward=message["forward"],
                atm_strike=message["atm_strike"],
                full=full,
                rows=changed,
                removed=removed,
            )
        )


class AnalyticsConsumer(UnderlyingFeedConsumer):
    """``/ws/analytics/?symbol=NIFTY``: the chain summary after each analytics run."""

    async def connect(self) -> None:
        if not await self.authenticate():
            return
        underlying = await self.underlying_from_query()
        if underlying is None:
            return
        await self.join(analytics_group(symbol=underlying.symbol))

    async def analytics_summary(self, message: AnalyticsSummary) -> None:
        await self.send_json(message)


def _health() -> HealthMessage:
    from apps.live.system import system_health_build

    return system_health_build()


class SystemHealthConsumer(FeedConsumer):
    """``/ws/system-health/``: health at once, then every ``interval_seconds``."""

    interval_seconds: float = 10.0

    async def connect(self) -> None:
        self.ticker: asyncio.Task[None] | None = None
        if not await self.authenticate():
            return
        await self.accept()
        self.ticker = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await self.send_json(await database_sync_to_async(_health)())
            await asyncio.sleep(self.interval_seconds)

    async def disconnect(self, code: int) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.ticker
        await super().disconnect(code)


class AlertsConsumer(FeedConsumer):
    """``/ws/alerts/``: ``alert.fired`` for the user's own rules; staff also get the platform's fault notices
    (``fault.problem``, ``fault.resolved``)."""

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        if not await self.authenticate():
            return
        user = self.scope["user"]
        groups = [user_group(user.pk)] + ([STAFF_GROUP] if user.is_staff else [])
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        await super().disconnect(code)

    async def alert_fired(self, message: dict[str, Any]) -> None:
        await self.send_json(message)

    async def fault_problem(self, message: dict[str, Any]) -> None:
        await self.send_json(message)

    async def fault_resolved(self, message: dict[str, Any]) -> None:
        await self.send_json(message)
