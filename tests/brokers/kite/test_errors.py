"""Every Kite failure maps to a code, a transient/permanent class and a plain suggestion."""

from __future__ import annotations

import pytest
import requests
from kiteconnect import exceptions as kex

from apps.brokers.base import PermanentBrokerError, SessionRequiredError, TransientBrokerError
from apps.brokers.kite.errors import kite_error_translate
from apps.brokers.kite.retry import RetryPolicy, call_with_retries


@pytest.mark.parametrize(
    ("exc", "kind", "code", "suggestion"),
    [
        (
            kex.TokenException("Incorrect `api_key` or `access_token`.", code=403),
            SessionRequiredError,
            "session_expired",
            "Log in again at /broker/kite/login",
        ),
        (
            kex.NetworkException("Too many requests", code=429),
            TransientBrokerError,
            "kite_rate_limited",
            "Another program is using this API key, or the request rate is too high",
        ),
        (
            kex.NetworkException("Service Unavailable", code=503),
            TransientBrokerError,
            "kite_unavailable",
            "Kite is having problems; collection retries automatically",
        ),
        (
            kex.DataException("Unknown Content-Type (text/html) with response: (<html>502)"),
            TransientBrokerError,
            "kite_unavailable",
            "Kite is having problems; collection retries automatically",
        ),
        (
            kex.GeneralException("boom", code=504),
            TransientBrokerError,
            "kite_unavailable",
            "Kite is having problems; collection retries automatically",
        ),
        (
            kex.InputException("Too many tokens requested. Max permitted is 500.", code=400),
            PermanentBrokerError,
            "kite_input",
            None,
        ),
        (
            kex.PermissionException("Insufficient permission for that call.", code=403),
            PermanentBrokerError,
            "kite_permission",
            None,
        ),
        (kex.GeneralException("Route not found", code=404), PermanentBrokerError, "kite_error", None),
        (requests.ReadTimeout("read timed out"), TransientBrokerError, "kite_timeout", None),
        (requests.ConnectionError("refused"), TransientBrokerError, "kite_network", "Check the internet connection"),
    ],
)
def test_it_maps_each_failure_to_a_code_and_suggestion(exc, kind, code, suggestion) -> None:  # type: ignore[no-untyped-def]
    error = kite_error_translate(exc)
    assert isinstance(error, kind)
    assert error.code == code
    assert error.transient is issubclass(kind, TransientBrokerError)
    assert error.suggestion
    if suggestion is not None:
        assert error.suggestion == suggestion
    assert str(exc) in str(error)


def test_it_stops_retrying_at_the_configured_number_of_tries() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def failing() -> None:
        calls.append(1)
        raise kex.NetworkException("Service Unavailable", code=503)

    with pytest.raises(TransientBrokerError, match="gave up after 3 tries"):
        call_with_retries(failing, policy=RetryPolicy(max_tries=3, base_delay=1.0), sleep=slept.append)
    assert len(calls) == 3
    # exponential with jitter in [0.5, 1]: the first wait is 0.5-1 s, the second 1-2 s
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0


def test_it_lets_programming_errors_through_untouched() -> None:
    def broken() -> None:
        raise KeyError("login_time")

    with pytest.raises(KeyError):
        call_with_retries(broken, policy=RetryPolicy(), sleep=lambda _: None)
