"""The staff login pages and /api/v1/auth, through Django's test client and the Kite double."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from apps.brokers.models import AuthEvent, BrokerSession, SessionStatus
from tests.kite_double import KiteDouble

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_user("ops", password="pw-123456", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member() -> APIClient:
    user = get_user_model().objects.create_user("viewer", password="pw-123456")
    client = APIClient()
    client.force_authenticate(user)
    return client


def _login_state(staff: Client) -> str:
    """Start the login as the browser does; the state nonce is in Kite's redirect_params (echoed back)."""
    location = staff.get("/broker/kite/login")["Location"]
    redirect_params = parse_qs(urlsplit(location).query)["redirect_params"][0]
    return parse_qs(redirect_params)["state"][0]


def test_it_redirects_staff_to_kites_login_page(kite_settings, kite_double: KiteDouble, staff: Client) -> None:
    response = staff.get("/broker/kite/login", HTTP_X_REQUEST_ID="trace-7")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"https://kite.zerodha.com/connect/login?api_key={kite_double.api_key}&v=3&")
    state = staff.session["kite_login_state"]
    assert len(state) >= 32
    assert parse_qs(urlsplit(location).query)["redirect_params"] == [f"state={state}"]
    assert AuthEvent.objects.get().request_id == "trace-7"


def test_it_keeps_non_staff_away_from_the_login(kite_settings) -> None:
    user = get_user_model().objects.create_user("viewer", password="pw-123456")
    client = Client()
    client.force_login(user)
    for path in ("/broker/kite/login", "/broker/kite/callback?status=success&request_token=abcdef123"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not AuthEvent.objects.exists()


def test_the_callback_stores_the_session_and_shows_the_profile(
    kite_settings, kite_double: KiteDouble, staff: Client
) -> None:
    state = _login_state(staff)
    token = kite_double.issue_request_token()
    response = staff.get(
        f"/broker/kite/callback?action=login&type=login&status=success&request_token={token}&state={state}"
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "DB1234" in body and "Double Trader" in body
    session = BrokerSession.objects.get()
    assert session.status == SessionStatus.ACTIVE
    assert session.get_access_token() not in body


def test_the_callback_shows_kites_reason_for_a_reused_token(
    kite_settings, kite_double: KiteDouble, staff: Client
) -> None:
    token = kite_double.issue_request_token()
    staff.get(f"/broker/kite/callback?status=success&request_token={token}&state={_login_state(staff)}")
    response = staff.get(f"/broker/kite/callback?status=success&request_token={token}&state={_login_state(staff)}")
    assert response.status_code == 400
    assert "Token is invalid or has expired." in response.content.decode()
    assert BrokerSession.objects.count() == 1


def test_the_callback_reports_a_missing_token(kite_settings, kite_double: KiteDouble, staff: Client) -> None:
    response = staff.get(f"/broker/kite/callback?status=success&state={_login_state(staff)}")
    assert response.status_code == 400
    assert "request token is missing or malformed" in response.content.decode()
    assert kite_double.requests == []


def test_a_callback_link_this_browser_did_not_start_is_refused(
    kite_settings, kite_double: KiteDouble, staff: Client
) -> None:
    """A crafted link with someone else's request token must not log the platform in to their account."""
    token = kite_double.issue_request_token()
    for query in (f"request_token={token}", f"request_token={token}&state=guessed"):
        response = staff.get(f"/broker/kite/callback?status=success&{query}")
        assert response.status_code == 400
        assert "not started from this browser" in response.content.decode()
    state = _login_state(staff)
    assert staff.get(f"/broker/kite/callback?status=success&request_token={token}&state=other").status_code == 400
    # the nonce is used up by that attempt: even the right one cannot be replayed afterwards
    assert staff.get(f"/broker/kite/callback?status=success&request_token={token}&state={state}").status_code == 400
    assert not BrokerSession.objects.exists()
    assert kite_double.count("/session/token", "POST") == 0  # Kite was never asked
    assert AuthEvent.objects.filter(event="login_failed").count() == 4


def test_the_admin_never_shows_the_token(kite_session: BrokerSession) -> None:
    admin = get_user_model().objects.create_superuser("root", password="pw-123456")
    client = Client()
    client.force_login(admin)
    response = client.get(f"/admin/brokers/brokersession/{kite_session.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "DB1234" in body
    assert kite_session.get_access_token() not in body
    assert kite_session.access_token_encrypted not in body
    assert client.get("/admin/brokers/authevent/").status_code == 200


def test_auth_status_reports_none_active_and_expired(kite_settings, kite_double: KiteDouble, member: APIClient) -> None:
    assert member.get("/api/v1/auth/status").json() == {"status": "none", "user_id": None, "expires_at": None}

    from apps.brokers.services import kite_session_create

    session = kite_session_create(request_token=kite_double.issue_request_token())
    body = member.get("/api/v1/auth/status").json()
    assert body["status"] == "active" and body["user_id"] == "DB1234"
    assert body["expires_at"] == session.expires_at.isoformat().replace("+00:00", "Z")

    BrokerSession.objects.filter(pk=session.pk).update(status=SessionStatus.EXPIRED)
    assert member.get("/api/v1/auth/status").json()["status"] == "expired"


def test_auth_status_needs_a_login() -> None:
    response = APIClient().get("/api/v1/auth/status")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_logout_is_staff_only(kite_session: BrokerSession, member: APIClient) -> None:
    assert member.post("/api/v1/auth/logout").status_code == 403
    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.ACTIVE


def test_logout_invalidates_the_token_at_kite_and_locally(kite_session: BrokerSession, kite_double: KiteDouble) -> None:
    admin = APIClient()
    admin.force_authenticate(get_user_model().objects.create_user("ops", password="pw-123456", is_staff=True))

    response = admin.post("/api/v1/auth/logout")
    assert response.status_code == 200
    assert response.json() == {
        "status": "none",
        "user_id": "DB1234",
        "revoked_at_kite": True,
        "message": "Access token invalidated at Kite.",
    }
    assert kite_double.live_tokens() == []

    again = admin.post("/api/v1/auth/logout")
    assert again.status_code == 409
    assert again.json() == {"error": "There is no active Kite session to log out."}


def test_the_schema_documents_both_endpoints(kite_settings, member: APIClient) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/auth/status" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/auth/logout"]
