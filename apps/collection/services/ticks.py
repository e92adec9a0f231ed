"""Live ticks into the minute archive: what ``kite_ticker`` runs.

Each step (about once a second) the collector
1. turns the stream's events (connects, drops, Kite's error messages) into log lines and ErrorEvents,
2. follows the stored Kite session: no usable session → no stream; a new login → a new stream with the
   new access token (KiteTicker authenticates with it),
3. once per market minute, stores what the ticks say at that moment through the ordinary collection
   service (``chain_collect`` with the TickBroker, rows marked ``source=ticker``): same planning, same
   one-row-per-instrument-per-minute rule (whichever source stores a minute first keeps it), same
   analytics and live-feed hooks after commit,
4. then re-subscribes: the indices, VIX and futures planning needs, the options archived at the latest
   minute, and every key this minute's plan asked for (so a moved ATM is streamed from the next minute).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.stream import StreamEvent, TickStream
from apps.brokers.kite.tick_broker import TickBroker
from apps.brokers.kite.ticks import TickBook
from apps.collection.services.chain import chain_collect
from apps.market.calendar import market_status
from apps.market.clock import to_ist
from apps.marketdata.models import CollectionRun, QuoteSource
from apps.marketdata.selectors import stream_tokens_wanted
from apps.monitoring.services import error_record

logger = logging.getLogger(__name__)

COMPONENT = "ticker"
LOGIN_SUGGESTION = "Log in again at /broker/kite/login (or run `manage.py kite_login`)."
EVENT_ERRORS: dict[str, tuple[str, str]] = {
    "token_rejected": ("ticker_token_rejected", "Kite refused the access token. " + LOGIN_SUGGESTION),
    "gave_up": ("ticker_gave_up", "Check the network to Kite, then restart kite_ticker."),
    "kite_error": ("ticker_kite_error", "Kite sent an error on the tick stream; see the message."),
    "closed": ("ticker_disconnected", "pykiteconnect reconnects by itself; if this keeps growing, check the network."),
}


class TickCollector:
    def __init__(
        self,
        *,
        kite: KiteBroker,
        root: str,
        market_hours_only: bool = True,
        snapshot_second: float = 1.0,
        clock: Callable[[], datetime] = timezone.now,
        stream_factory: Callable[..., TickStream] = TickStream,
        say: Callable[[str], None] = logger.info,
    ):
        self.kite = kite
        self.root = root
        self.market_hours_only = market_hours_only
        self.snapshot_second = snapshot_second
        self.clock = clock
        self.say = say
        self._stream_factory = stream_factory
        self.book = TickBook()
        self.broker = TickBroker(book=self.book, connected=self.status)
        self.stream: TickStream | None = None
        self.last_minute: datetime | None = None
        self._said = ""

    def status(self) -> tuple[bool, str]:
        return self.stream.status() if self.stream is not None else (False, "no Kite session for the tick stream")

    def run(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        """Step until ``stop`` is set, then close the stream."""
        try:
            while not stop.is_set():
                try:
                    self.step()
                except Exception as exc:  # a database blip must not end a process meant to run all day
                    self._step_failed(exc)
                stop.wait(poll)
        finally:
            self.close()

    def _step_failed(self, exc: Exception) -> None:
        logger.exception("kite_ticker step failed")
        self.say(f"step failed: {exc.__class__.__name__}: {exc}")
        try:
            error_record(
                component=COMPONENT,
                code="ticker_step_failed",
                message=f"{exc.__class__.__name__}: {exc}"[:1000],
                suggestion="Check the database and the logs of kite_ticker; it keeps trying every second.",
            )
        except Exception:  # the database itself may be what failed
            logger.exception("could not record the failure")

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def step(self) -> CollectionRun | None:
        """One pass; returns the collection run when this pass stored a minute."""
        self._events_drain()
        now = self.clock()
        self._session_follow(now)
        if self.stream is None:
            return None
        minute = now.replace(second=0, microsecond=0)
        if minute == self.last_minute or now.second + now.microsecond / 1e6 < self.snapshot_second:
            return None
        hours = market_status(now)
        if self.market_hours_only and not hours.is_open:
            self._say_once(f"market closed ({hours.reason}); storing no ticks")
            self.last_minute = minute
            return None
        ready, reason = self.status()
        if not ready:  # try again next step: the minute is stored as soon as the stream is up
            self._say_once(f"not storing minute {to_ist(minute):%H:%M} IST yet: {reason}")
            return None
        run = chain_collect(broker=self.broker, minute=minute, source=QuoteSource.TICKER)
        self.last_minute = minute
        self.say(
            f"{to_ist(minute):%H:%M} IST: {run.quotes_stored} tick rows stored, "
            f"{run.instruments_missing} missing ({run.status})"
        )
        self._subscriptions_follow(now)
        return run

    # --- parts -------------------------------------------------------------------------------

    def _session_follow(self, now: datetime) -> None:
        session, reason = self.kite.usable_session()
        token = session.get_access_token() if session is not None else None
        if token is None:
            if self.stream is not None:
                self.say(f"closing the tick stream: {reason}")
                self.close()
            self._say_once(f"waiting for a Kite login: {reason}")
            return
        if self.stream is not None and self.stream.access_token == token:
            return
        if self.stream is not None:
            self.say("a new Kite login: reconnecting the tick stream with its access token")
            self.close()
        assert session is not None
        self.stream = self._stream_factory(
            api_key=self.kite.config.api_key, access_token=token, root=self.root, book=self.book
        )
        self.say(f"tick stream for {session.user_id} at {self.root}")
        self._subscriptions_follow(now)

    def _subscriptions_follow(self, now: datetime) -> None:
        assert self.stream is not None
        requested = self.broker.requested_take()
        wanted = stream_tokens_wanted(today=to_ist(now).date()) + list(requested.values())
        plan = self.stream.subscribe_to(wanted)
        if plan.changed:
            added, removed = sum(map(len, plan.added)), sum(map(len, plan.removed))
            tokens, connections = len(self.stream.tokens()), len(plan.shards)
            self.say(f"subscriptions: +{added} -{removed}, {tokens} tokens on {connections} connection(s)")
        if plan.dropped:
            error_record(
                component=COMPONENT,
                code="ticker_token_limit",
                message=f"{len(plan.dropped)} instruments do not fit in Kite's 3 connections x 3000 tokens.",
                suggestion=(
                    "Narrow OPTRADING_FULL_CHAIN_PCT or OPTRADING_FULL_CHAIN_EXPIRIES; quote collection still has them."
                ),
            )

    def _events_drain(self) -> None:
        if self.stream is None:
            return
        while not self.stream.events.empty():
            event: StreamEvent = self.stream.events.get_nowait()
            self.say(f"tick connection {event.connection}: {event.kind} {event.message}".rstrip())
            if event.kind in EVENT_ERRORS:
                code, suggestion = EVENT_ERRORS[event.kind]
                error_record(
                    component=COMPONENT,
                    code=code,
                    message=f"connection {event.connection}: {event.message}",
                    suggestion=suggestion,
                )

    def _say_once(self, text: str) -> None:
        """Say a waiting reason once, not every second."""
        if text != self._said:
            self._said = text
            self.say(text)
