"""Staff pages for the Kite login: send the browser to Kite, and receive Kite's redirect back."""

from __future__ import annotations

import secrets
import uuid

from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.brokers.services import KiteLoginError, kite_callback_handle, kite_login_start, kite_login_state_check

staff_required = user_passes_test(lambda user: user.is_active and user.is_staff)
LOGIN_STATE_KEY = "kite_login_state"


def request_id_get(request: HttpRequest) -> str:
    """The caller's X-Request-ID, or a new one, so audit events can be traced to one request."""
    return (request.headers.get("X-Request-ID") or uuid.uuid4().hex)[:64]


@staff_required
def kite_login(request: HttpRequest) -> HttpResponse:
    state = secrets.token_urlsafe(24)
    request.session[LOGIN_STATE_KEY] = state  # checked (and used up) by the callback
    try:
        url = kite_login_start(request_id=request_id_get(request), state=state)
    except KiteLoginError as exc:
        return render(request, "brokers/kite_error.html", {"message": exc.message}, status=exc.status_code)
    return redirect(url)


@staff_required
def kite_callback(request: HttpRequest) -> HttpResponse:
    """Kite redirects here: ``?action=login&type=login&status=success&request_token=...&state=...``."""
    request_id = request_id_get(request)
    try:
        kite_login_state_check(
            state=request.GET.get("state", ""),
            expected_state=request.session.pop(LOGIN_STATE_KEY, None),
            request_id=request_id,
        )
        session = kite_callback_handle(
            status=request.GET.get("status", ""),
            request_token=request.GET.get("request_token", ""),
            request_id=request_id,
        )
    except KiteLoginError as exc:
        return render(request, "brokers/kite_error.html", {"message": exc.message}, status=exc.status_code)
    return render(request, "brokers/kite_session.html", {"session": session})
