"""Kite failures translated into the platform's broker errors, each with a code and a plain suggestion.

pykiteconnect picks the exception class from the body's ``error_type`` only; the HTTP status is in
``exc.code``. Network failures (timeouts, refused connections) come through unwrapped as ``requests``
exceptions. Transient errors are retried by the adapter; permanent ones are raised at once.
"""

from __future__ import annotations

import requests
from kiteconnect import exceptions as kex

from apps.brokers.base import BrokerError, PermanentBrokerError, SessionRequiredError, TransientBrokerError

LOGIN_PATH = "/broker/kite/login"


class KiteSessionError(SessionRequiredError):
    """Kite rejected the access token (expired at 06:00 IST, logged out elsewhere, or superseded)."""

    code = "session_expired"
    suggestion = f"Log in again at {LOGIN_PATH}"


class KiteNoSessionError(SessionRequiredError):
    code = "session_required"
    suggestion = f"Log in at {LOGIN_PATH}"


class KiteInputError(PermanentBrokerError):
    code = "kite_input"
    suggestion = "Kite rejected the request; refresh instruments with `manage.py sync_instruments` and check the keys."


class KitePermissionError(PermanentBrokerError):
    code = "kite_permission"
    suggestion = "This Kite app is not allowed to make this call; check its subscription on developers.kite.trade."


class KiteGeneralError(PermanentBrokerError):
    code = "kite_error"
    suggestion = "Kite reported an unexpected error; see the message, and retry later if it persists."


class KiteRateLimitedError(TransientBrokerError):
    code = "kite_rate_limited"
    suggestion = "Another program is using this API key, or the request rate is too high"


class KiteUnavailableError(TransientBrokerError):
    code = "kite_unavailable"
    suggestion = "Kite is having problems; collection retries automatically"


class KiteTimeoutError(TransientBrokerError):
    code = "kite_timeout"
    suggestion = "Kite did not answer in time; check the internet connection"


class KiteNetworkError(TransientBrokerError):
    code = "kite_network"
    suggestion = "Check the internet connection"


def kite_error_translate(exc: BaseException) -> BrokerError:
    """The broker error for one failed Kite call (the original stays available as ``__cause__``)."""
    message = str(exc) or exc.__class__.__name__
    status = getattr(exc, "code", None)
    if isinstance(exc, kex.TokenException):
        return KiteSessionError(f"Kite rejected the session: {message}")
    if isinstance(exc, kex.PermissionException):
        return KitePermissionError(f"Kite denied permission: {message}")
    if isinstance(exc, kex.InputException):
        return KiteInputError(f"Kite rejected the input: {message}")
    if isinstance(exc, kex.NetworkException):
        if status == 429:
            return KiteRateLimitedError(f"Kite rate limit hit (HTTP 429): {message}")
        return KiteUnavailableError(f"Kite is unavailable (HTTP {status}): {message}")
    if isinstance(exc, kex.DataException):
        # An HTML error page from Kite's proxy (502/503/504) or an unparseable body.
        return KiteUnavailableError(f"Kite sent an unusable reply: {_shorten(message)}")
    if isinstance(exc, kex.KiteException):
        if isinstance(status, int) and status >= 500:
            return KiteUnavailableError(f"Kite server error (HTTP {status}): {message}")
        return KiteGeneralError(f"Kite error (HTTP {status}): {message}")
    if isinstance(exc, requests.Timeout):
        return KiteTimeoutError(f"Kite did not answer in time: {message}")
    if isinstance(exc, requests.RequestException):
        return KiteNetworkError(f"Could not reach Kite: {message}")
    return KiteGeneralError(f"Unexpected failure talking to Kite: {exc.__class__.__name__}: {message}")


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
