"""KiteBroker: the real market through pykiteconnect, behind the platform's broker interface.

It never calls Kite without a usable session: ``ready()`` says why not, and ``quote()`` raises
SessionRequiredError before any HTTP call. When Kite rejects the token mid-collection (403
TokenException) the session is marked expired and SessionRequiredError is raised, so collection
pauses until someone logs in again; the collection service records the ErrorEvent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from kiteconnect import KiteConnect

from apps.brokers import services as broker_services
from apps.brokers.base import (
    BasketMargin,
    Broker,
    InstrumentRow,
    LocalRateLimiter,
    MarginFigures,
    MarginOrder,
    QuoteDict,
    RateLimiter,
)
from apps.brokers.kite.client import KiteConfig, kite_client
from apps.brokers.kite.errors import KiteGeneralError, KiteNoSessionError, KiteSessionError
from apps.brokers.kite.instruments_dump import InstrumentsDumpError, instruments_dump_parse
from apps.brokers.kite.normalise import quote_normalise
from apps.brokers.kite.retry import RetryPolicy, call_with_retries
from apps.brokers.models import BrokerSession
from apps.brokers.selectors import broker_session_active_get
from apps.core.errors import ApplicationError
from apps.market.clock import IST

logger = logging.getLogger(__name__)

T = TypeVar("T")


class KiteBroker(Broker):
    name = "kite"

    def __init__(
        self,
        *,
        config: KiteConfig,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
    ):
        super().__init__(rate_limiter=rate_limiter)
        self.config = config
        self.retry = retry or RetryPolicy()

    @classmethod
    def from_settings(cls) -> KiteBroker:
        """Settings: KITE_* (see client.py), REDIS_URL (shared rate limiter), KITE_MAX_TRIES, KITE_RETRY_BASE_DELAY."""
        config = KiteConfig.from_settings()
        limiter: RateLimiter
        if settings.REDIS_URL:
            from apps.brokers.ratelimit import RedisTokenBucket

            limiter = RedisTokenBucket.from_url(settings.REDIS_URL, namespace=f"kite:{config.api_key}")
        else:
            limiter = LocalRateLimiter()
        retry = RetryPolicy(
            max_tries=int(settings.KITE_MAX_TRIES),
            base_delay=float(settings.KITE_RETRY_BASE_DELAY),
        )
        return cls(config=config, rate_limiter=limiter, retry=retry)

    @property
    def client(self) -> KiteConnect:
        return kite_client(self.config)

    # --- session ------------------------------------------------------------------------------

    def usable_session(self) -> tuple[BrokerSession | None, str]:
        """The active session when Kite may be called with it now; else None and why (a session whose
        clock ran out, or whose token no longer decrypts, is marked expired on the way)."""
        session = broker_session_active_get(provider=self.name)
        if session is None:
            return None, "No Kite session: log in at /broker/kite/login (or run `manage.py kite_login`)."
        if session.expires_at <= timezone.now():
            at = session.expires_at.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")
            reason = f"The Kite session of {session.user_id} expired at {at}; log in again at /broker/kite/login."
            broker_services.broker_session_expire(session=session, reason=reason)
            return None, reason
        if session.get_access_token() is None:
            reason = "The stored Kite token cannot be decrypted (OPTRADING_FERNET_KEY changed); log in again."
            broker_services.broker_session_expire(session=session, reason=reason)
            return None, reason
        return session, "ok"

    def ready(self) -> tuple[bool, str]:
        session, reason = self.usable_session()
        return session is not None, reason

    def _call(self, session: BrokerSession | None, call: Callable[[KiteConnect], T], *, kind: str) -> T:
        """One Kite call with retries; a rejected token expires ``session`` and stops collection."""
        client = self.client
        token = session.get_access_token() if session else None

        def attempt() -> T:
            client.set_access_token(token)
            return call(client)

        try:
            return call_with_retries(attempt, policy=self.retry, before_retry=lambda: self.rate_limiter.acquire(kind))
        except KiteSessionError as exc:
            if session is not None:
                broker_services.broker_session_expire(session=session, reason=str(exc))
            raise

    # --- Broker interface --------------------------------------------------------------------

    def _instruments(self, exchange: str | None) -> list[InstrumentRow]:
        """Kite's dump, read by our own parser (instruments_dump), which names the line and column of a broken
        dump; rows typed as pykiteconnect types them. Sent with the session's token when there is one (the
        dump itself does not need it)."""
        session, _ = self.usable_session()

        def dump(kite: KiteConnect) -> bytes:
            if exchange:
                return kite._get("market.instruments", url_args={"exchange": exchange})
            return kite._get("market.instruments.all")

        raw = self._call(session, dump, kind="other")
        try:
            return instruments_dump_parse(raw)
        except InstrumentsDumpError as exc:
            raise ApplicationError(
                f"Instruments dump for {exchange or 'all exchanges'}: {exc}. Nothing was written.",
                extra={"exchange": exchange or ""},
            ) from exc

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        """Live full quotes (``minute`` is ignored: Kite only knows now). Keys Kite has no data for are absent."""
        session, reason = self.usable_session()
        if session is None:
            raise KiteNoSessionError(reason)
        raw: dict[str, Any] = self._call(session, lambda kite: kite.quote(list(keys)), kind="quote")
        return {key: quote_normalise(value) for key, value in raw.items()}

    def profile(self) -> dict[str, Any]:
        session, reason = self.usable_session()
        if session is None:
            raise KiteNoSessionError(reason)
        self.rate_limiter.acquire("other")
        profile: dict[str, Any] = self._call(session, lambda kite: kite.profile(), kind="other")
        return profile

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        """Live data is for now: the current minute, aware UTC."""
        return now.astimezone(UTC).replace(second=0, microsecond=0)

    # --- margins ------------------------------------------------------------------------------

    def margin_ready(self) -> tuple[bool, str]:
        """Kite computes margins for a logged-in account only."""
        return self.ready()

    def margin_account(self) -> str:
        """The Kite user and the session: a new login (another account, or the same one later) asks afresh."""
        session, _ = self.usable_session()
        return f"{session.user_id}#{session.pk}" if session is not None else ""

    def basket_margin(self, orders: Sequence[MarginOrder]) -> BasketMargin:
        """``POST /margins/basket?consider_positions=True`` (pykiteconnect's ``basket_order_margins``, JSON body of
        NRML market orders), paced as an "other" call and retried like every Kite call. Full mode, not compact:
        compact answers only the totals, and the breakdown (SPAN, exposure, premium) is shown."""
        session, reason = self.usable_session()
        if session is None:
            raise KiteNoSessionError(reason)
        params = [
            {
                "exchange": order.exchange,
                "tradingsymbol": order.tradingsymbol,
                "transaction_type": order.transaction_type,
                "variety": "regular",
                "product": "NRML",
                "order_type": "MARKET",
                "quantity": order.quantity,
                "price": 0,
                "trigger_price": 0,
            }
            for order in orders
        ]
        self.rate_limiter.acquire("other")
        raw: Any = self._call(
            session, lambda kite: kite.basket_order_margins(params, consider_positions=True), kind="other"
        )
        return BasketMargin(initial=_margin_figures(raw, "initial"), final=_margin_figures(raw, "final"))


def _margin_figures(raw: Any, part: str) -> MarginFigures:
    """One of the reply's ``initial``/``final`` margin objects (Kite sends whole rupees as JSON ints)."""
    block = raw.get(part) if isinstance(raw, dict) else None
    try:
        if not isinstance(block, dict):
            raise TypeError(f"no `{part}` object")
        return MarginFigures(
            total=float(block["total"]),
            span=float(block.get("span") or 0),
            exposure=float(block.get("exposure") or 0),
            option_premium=float(block.get("option_premium") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KiteGeneralError(f"Kite's basket-margin reply is not usable ({exc}): {str(raw)[:200]}") from None
