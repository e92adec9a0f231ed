"""Failed logins are throttled (django-axes) on both login views: after OPTRADING_LOGIN_FAILURE_LIMIT failures for
one user name from one address, even the right password is refused (429) until the cool-off ends or an operator
resets the lock-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
LOGIN_VIEWS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("ops", password=PASSWORD, is_staff=True)


def _login(client: Client, path: str, password: str) -> int:
    return client.post(path, {"username": "ops", "password": password}, REMOTE_ADDR="203.0.113.9").status_code


def _fail_up_to_the_limit(client: Client, path: str, limit: int) -> None:
    for attempt in range(1, limit):
        assert _login(client, path, f"wrong-{attempt}") == 200, attempt  # the form again, with its error
    assert _login(client, path, "wrong-last") == 429  # the limit-th failure locks


def test_the_limit_comes_from_the_environment_defaults(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


@pytest.mark.parametrize("path", LOGIN_VIEWS)
def test_the_next_login_after_the_limit_is_refused_even_with_the_right_password(staff: User, path: str) -> None:
    client = Client()
    _fail_up_to_the_limit(client, path, 5)
    response = client.post(path, {"username": "ops", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out (the lock is per user name and address).
    other = Client()
    assert other.post(path, {"username": "ops", "password": PASSWORD}, REMOTE_ADDR="198.51.100.1").status_code == 302


def test_a_correct_login_after_the_cool_off_works(staff: User) -> None:
    client = Client()
    _fail_up_to_the_limit(client, "/accounts/login/", 5)
    assert _login(client, "/accounts/login/", PASSWORD) == 429
    # Sixteen minutes pass for the stored attempts (the cool-off is 15).
    attempt = AccessAttempt.objects.get(username="ops")
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=16))
    assert _login(client, "/accounts/login/", PASSWORD) == 302
    assert int(client.session["_auth_user_id"]) == staff.pk


def test_a_correct_login_after_an_operator_reset_works(staff: User) -> None:
    client = Client()
    _fail_up_to_the_limit(client, "/admin/login/", 5)
    call_command("axes_reset")
    assert not AccessAttempt.objects.exists()
    assert _login(client, "/admin/login/", PASSWORD) == 302


def test_a_success_before_the_limit_clears_the_count(staff: User) -> None:
    client = Client()
    for attempt in range(4):
        assert _login(client, "/accounts/login/", f"wrong-{attempt}") == 200
    assert _login(client, "/accounts/login/", PASSWORD) == 302
    client.logout()
    for attempt in range(4):  # four more failures: still under the limit, because the success reset the count
        assert _login(client, "/accounts/login/", f"again-{attempt}") == 200
