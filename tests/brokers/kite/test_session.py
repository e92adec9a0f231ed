"""Login (request token → access token), supersession, logout, expiry and the audit trail, against the double."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.brokers.kite.tokens import access_token_expires_at
from apps.brokers.models import AuthEvent, AuthEventKind, AuthOutcome, BrokerSession, SessionStatus
from apps.brokers.selectors import auth_status_get
from apps.brokers.services import KiteLoginError, kite_login_start, kite_session_create, kite_session_logout
from tests.kite_double import KiteDouble

IST = ZoneInfo("Asia/Kolkata")
pytestmark = pytest.mark.django_db


def _ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=IST)


def test_it_expires_tokens_at_the_next_six_am_ist() -> None:
    assert access_token_expires_at(_ist(2026, 11, 20, 14, 0)) == _ist(2026, 11, 21, 6, 0).astimezone(UTC)
    assert access_token_expires_at(_ist(2026, 11, 20, 5, 30)) == _ist(2026, 11, 20, 6, 0).astimezone(UTC)
    assert access_token_expires_at(_ist(2026, 11, 20, 6, 0)) == _ist(2026, 11, 21, 6, 0).astimezone(UTC)
    # 23:59 IST on the last day of a month rolls into the next month
    assert access_token_expires_at(_ist(2026, 11, 30, 23, 59)) == _ist(2026, 12, 1, 6, 0).astimezone(UTC)


def test_it_builds_the_login_url_and_audits_the_start(kite_settings, kite_double: KiteDouble) -> None:
    url = kite_login_start(request_id="req-1")
    assert url == f"https://kite.zerodha.com/connect/login?api_key={kite_double.api_key}&v=3"
    event = AuthEvent.objects.get()
    assert (event.event, event.outcome, event.request_id) == (AuthEventKind.LOGIN_STARTED, AuthOutcome.SUCCESS, "req-1")


def test_it_exchanges_a_request_token_for_an_encrypted_session(kite_settings, kite_double: KiteDouble) -> None:
    kite_double.set_time(_ist(2026, 11, 20, 9, 5, 30))
    session = kite_session_create(request_token=kite_double.issue_request_token(), request_id="req-2")

    session.refresh_from_db()
    [live] = kite_double.live_tokens()
    assert session.get_access_token() == live
    assert live not in session.access_token_encrypted
    assert (session.provider, session.user_id, session.user_name) == ("kite", "DB1234", "Double Trader")
    assert session.status == SessionStatus.ACTIVE
    assert session.login_time == _ist(2026, 11, 20, 9, 5, 30)
    assert session.expires_at == _ist(2026, 11, 21, 6, 0)
    event = AuthEvent.objects.get(event=AuthEventKind.TOKEN_EXCHANGED)
    assert (event.user_id, event.outcome, event.request_id) == ("DB1234", AuthOutcome.SUCCESS, "req-2")
    # pykiteconnect posted the documented checksum without an Authorization header
    [post] = [r for r in kite_double.requests if r.method == "POST"]
    assert "authorization" not in post.headers


def test_it_supersedes_the_previous_session(kite_settings, kite_double: KiteDouble) -> None:
    first = kite_session_create(request_token=kite_double.issue_request_token())
    second = kite_session_create(request_token=kite_double.issue_request_token())

    first.refresh_from_db()
    assert first.status == SessionStatus.SUPERSEDED
    assert BrokerSession.objects.get(status=SessionStatus.ACTIVE) == second
    # Kite allows one token per app: the first one is dead there too
    assert kite_double.live_tokens() == [second.get_access_token()]
    # both logins fell in the same second of Kite's login_time: the newer one still counts
    assert auth_status_get().status == "active"


def test_it_refuses_a_reused_request_token(kite_settings, kite_double: KiteDouble) -> None:
    token = kite_double.issue_request_token()
    kite_session_create(request_token=token)

    with pytest.raises(KiteLoginError, match="Token is invalid or has expired") as caught:
        kite_session_create(request_token=token, request_id="req-3")

    assert caught.value.status_code == 400
    assert BrokerSession.objects.count() == 1
    failure = AuthEvent.objects.get(event=AuthEventKind.LOGIN_FAILED)
    assert failure.outcome == AuthOutcome.FAILURE
    assert failure.request_id == "req-3"
    assert "Token is invalid or has expired." in failure.message


def test_it_refuses_a_request_token_older_than_its_ttl(kite_settings, kite_double: KiteDouble) -> None:
    start = _ist(2026, 11, 20, 9, 0)
    kite_double.set_time(start)
    token = kite_double.issue_request_token()
    kite_double.set_time(start + timedelta(minutes=6))

    with pytest.raises(KiteLoginError, match="Token is invalid or has expired"):
        kite_session_create(request_token=token)
    assert not BrokerSession.objects.exists()


def test_it_refuses_a_wrong_checksum_and_stores_nothing(kite_settings, kite_double: KiteDouble) -> None:
    kite_settings.KITE_API_SECRET = "not-the-secret"
    with pytest.raises(KiteLoginError, match="Invalid `checksum`"):
        kite_session_create(request_token=kite_double.issue_request_token())
    assert not BrokerSession.objects.exists()
    assert kite_double.live_tokens() == []


def test_it_rejects_a_malformed_request_token_without_calling_kite(kite_settings, kite_double: KiteDouble) -> None:
    with pytest.raises(KiteLoginError, match="malformed"):
        kite_session_create(request_token="abc def&x=1")
    assert kite_double.requests == []


def test_it_keeps_an_existing_session_when_a_new_login_fails(kite_settings, kite_double: KiteDouble) -> None:
    session = kite_session_create(request_token=kite_double.issue_request_token())
    with pytest.raises(KiteLoginError):
        kite_session_create(request_token="deadbeef" * 4)
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE


def test_it_logs_out_at_kite_and_locally(kite_session: BrokerSession, kite_double: KiteDouble) -> None:
    result = kite_session_logout(request_id="req-4")

    assert result.revoked_at_kite is True
    assert kite_double.live_tokens() == []
    assert kite_double.count("/session/token", "DELETE") == 1
    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.REVOKED
    assert auth_status_get().status == "none"
    event = AuthEvent.objects.get(event=AuthEventKind.LOGOUT)
    assert (event.outcome, event.user_id, event.request_id) == (AuthOutcome.SUCCESS, "DB1234", "req-4")


def test_it_logs_out_locally_when_kite_already_dropped_the_token(
    kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    kite_double.expire_tokens()
    result = kite_session_logout()
    assert result.revoked_at_kite is True
    assert "already invalid" in result.message
    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.REVOKED


def test_it_reports_status_active_then_expired(kite_session: BrokerSession) -> None:
    status = auth_status_get()
    assert (status.status, status.user_id, status.expires_at) == ("active", "DB1234", kite_session.expires_at)

    later = auth_status_get(now=kite_session.expires_at + timedelta(seconds=1))
    assert later.status == "expired"
    assert later.user_id == "DB1234"


def test_it_never_writes_the_token_or_secret_to_the_audit_trail_or_logs(
    kite_settings, kite_double: KiteDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    kite_login_start()
    request_token = kite_double.issue_request_token()
    session = kite_session_create(request_token=request_token)
    access_token = session.get_access_token()
    with pytest.raises(KiteLoginError):
        kite_session_create(request_token=request_token)
    kite_session_logout()

    assert access_token
    kinds = set(AuthEvent.objects.values_list("event", flat=True))
    assert kinds == {"login_started", "token_exchanged", "login_failed", "logout"}
    for event in AuthEvent.objects.all():
        text = " ".join([event.message, event.user_id, event.request_id])
        for secret in (access_token, kite_double.api_secret, request_token):
            assert secret not in text
    for secret in (access_token, kite_double.api_secret):
        assert secret not in caplog.text
    assert access_token not in repr(session) and access_token not in str(session)
