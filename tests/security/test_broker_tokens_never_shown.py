"""A whole Kite login against the loopback Kite double (a success, a refused reused token, a token Kite later
rejects, a logout), then a search for the access token, the request tokens and the API secret in everything that
run left behind: every log record our code made, every line the real console handler wrote at DEBUG (with
pykiteconnect and urllib3 at DEBUG too), the error events and auth events, the admin pages and the API answers."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.errors import KiteSessionError
from apps.brokers.models import AuthEvent, BrokerSession
from apps.core.log_redaction import RedactSecretsFilter
from apps.monitoring.models import ErrorEvent
from tests.kite_double import KiteDouble

pytestmark = pytest.mark.django_db


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the settings' console handler (the one every process logs through) writes, at DEBUG everywhere."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    assert handlers, "the settings' console handler is not installed"
    stream = io.StringIO()
    previous = [(h, h.setStream(stream), h.level) for h in handlers]  # type: ignore[func-returns-value]
    levels = {name: logging.getLogger(name).level for name in ("", "kiteconnect", "urllib3", "apps", "django")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    for handler in handlers:
        handler.setLevel(logging.DEBUG)
    yield stream
    for handler, old_stream, level in previous:
        handler.setStream(old_stream)  # type: ignore[arg-type]
        handler.setLevel(level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_no_broker_secret_appears_anywhere(kite_settings, kite_double: KiteDouble, console, caplog) -> None:  # type: ignore[no-untyped-def]
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("ops", password="pw-123456"))
    answers: list[str] = []

    def state() -> str:
        location = staff.get("/broker/kite/login")["Location"]
        return parse_qs(parse_qs(urlsplit(location).query)["redirect_params"][0])["state"][0]

    with caplog.at_level(logging.INFO):
        request_token = kite_double.issue_request_token()
        ok = staff.get(f"/broker/kite/callback?status=success&request_token={request_token}&state={state()}")
        assert ok.status_code == 200
        answers.append(ok.content.decode())
        access_token = BrokerSession.objects.get().get_access_token()
        assert access_token
        reused = staff.get(f"/broker/kite/callback?status=success&request_token={request_token}&state={state()}")
        assert reused.status_code == 400
        answers.append(reused.content.decode())

        answers.append(staff.get("/api/v1/auth/status").content.decode())
        kite_double.expire_tokens()  # Kite rejects the token mid-session
        with pytest.raises(KiteSessionError):
            KiteBroker.from_settings().profile()
        second_token = kite_double.issue_request_token()
        again = staff.get(f"/broker/kite/callback?status=success&request_token={second_token}&state={state()}")
        assert again.status_code == 200
        logout = staff.post("/api/v1/auth/logout")
        assert logout.status_code == 200
        answers.append(logout.content.decode())
        for path in ("/api/v1/auth/status", "/api/v1/errors", "/api/v1/errors?resolved=true"):
            answers.append(staff.get(path).content.decode())
        for session in BrokerSession.objects.all():
            answers.append(staff.get(f"/admin/brokers/brokersession/{session.pk}/change/").content.decode())
        for path in ("/admin/brokers/brokersession/", "/admin/brokers/authevent/", "/admin/monitoring/errorevent/"):
            page = staff.get(path)
            assert page.status_code == 200, path
            answers.append(page.content.decode())

    secrets = {
        "access token": access_token,
        "request token": request_token,
        "second request token": second_token,
        "api secret": kite_double.api_secret,
    }
    stored = [
        " ".join(str(v) for v in row)
        for model in (ErrorEvent, AuthEvent)
        for row in model.objects.values_list()  # every column of every row
    ]
    assert AuthEvent.objects.count() >= 5 and any("expired" in row for row in stored)
    records = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert records and console.getvalue()
    # The logout's DELETE /session/token?access_token=... was logged by urllib3, and written redacted.
    assert "access_token=[redacted]" in console.getvalue()
    for label, secret in secrets.items():
        assert secret and len(secret) >= 6
        for where, texts in (("log record", records), ("stored event", stored), ("answer", answers)):
            leaks = [t for t in texts if secret in t]
            assert not leaks, f"the {label} appears in a {where}: {leaks[0][:300]}"
        assert secret not in console.getvalue(), f"the {label} was written to the console log"
