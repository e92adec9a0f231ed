"""Broker session writes: Kite login (request token → access token), logout, expiry, and the audit trail.

Tokens and the API secret never reach a log line, an AuthEvent or an error message.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlencode

import requests
from django.db import transaction
from django.utils import timezone
from kiteconnect.exceptions import KiteException, TokenException

from apps.brokers import crypto
from apps.brokers.base import BrokerError
from apps.brokers.kite.client import KiteConfig, kite_client
from apps.brokers.kite.errors import kite_error_translate
from apps.brokers.kite.tokens import access_token_expires_at
from apps.brokers.models import AuthEvent, AuthEventKind, AuthOutcome, BrokerSession, SessionStatus
from apps.brokers.selectors import broker_session_active_get
from apps.core.errors import ApplicationError
from apps.market.clock import ist_naive_to_utc

logger = logging.getLogger(__name__)

KITE = "kite"
_REQUEST_TOKEN = re.compile(r"^[A-Za-z0-9]{6,64}$")


class KiteLoginError(ApplicationError):
    """The request token could not be exchanged; the message is Kite's own reason."""


def auth_event_record(
    *,
    event: str,
    outcome: str,
    provider: str = KITE,
    user_id: str = "",
    message: str = "",
    request_id: str = "",
) -> AuthEvent:
    return AuthEvent.objects.create(
        time=timezone.now(),
        provider=provider,
        event=event,
        outcome=outcome,
        user_id=user_id,
        message=message[:2000],
        request_id=request_id[:64],
    )


def kite_login_start(*, request_id: str = "", state: str = "") -> str:
    """Kite's login page URL for this app; the user comes back to the app's redirect URL with a request token.
    ``state`` rides along in Kite's ``redirect_params`` and is echoed back on the redirect
    (docs/kite-protocol.md §2.1)."""
    config = _config_or_login_error(request_id=request_id)
    url: str = kite_client(config).login_url()
    if state:
        url += "&" + urlencode({"redirect_params": urlencode({"state": state})})
    auth_event_record(event=AuthEventKind.LOGIN_STARTED, outcome=AuthOutcome.SUCCESS, request_id=request_id)
    return url


def kite_session_create(*, request_token: str, request_id: str = "") -> BrokerSession:
    """Exchange a request token for an access token and make it the one active session.

    Any earlier active session is superseded (Kite allows one access token per app). On failure
    nothing is stored except the audit event, and :class:`KiteLoginError` carries Kite's reason.
    """
    request_token = request_token.strip()
    if not _REQUEST_TOKEN.match(request_token):
        _login_failed("The request token is missing or malformed (expected 6-64 letters and digits).", request_id)
    config = _config_or_login_error(request_id=request_id)
    client = kite_client(config)
    try:
        data = client.generate_session(request_token, api_secret=config.api_secret)
    except (KiteException, requests.RequestException) as exc:
        error = kite_error_translate(exc)
        reason = str(exc) if isinstance(exc, KiteException) else str(error)
        _login_failed(f"Kite refused the login: {reason}", request_id, status=502 if error.transient else 400)

    now = timezone.now()
    login_time = data.get("login_time")
    login_at = ist_naive_to_utc(login_time) or now
    with transaction.atomic():
        superseded = (
            BrokerSession.objects.select_for_update()
            .filter(provider=KITE, status=SessionStatus.ACTIVE)
            .update(status=SessionStatus.SUPERSEDED, status_changed_at=now)
        )
        session = BrokerSession(
            provider=KITE,
            user_id=str(data.get("user_id") or ""),
            user_name=str(data.get("user_name") or ""),
            login_time=login_at,
            expires_at=access_token_expires_at(login_at),
            status=SessionStatus.ACTIVE,
            status_changed_at=now,
        )
        session.set_access_token(str(data["access_token"]))
        session.save()
        note = f"; superseded {superseded} earlier session(s)" if superseded else ""
        auth_event_record(
            event=AuthEventKind.TOKEN_EXCHANGED,
            outcome=AuthOutcome.SUCCESS,
            user_id=session.user_id,
            message=f"Session valid until {session.expires_at.isoformat()}{note}",
            request_id=request_id,
        )
    logger.info("kite login for %s, session %s", session.user_id, session.pk)
    return session


def kite_login_state_check(*, state: str, expected_state: str | None, request_id: str = "") -> None:
    """The web callback's ``state`` must be the nonce this browser was given when it started the login, so
    nobody can make a staff member's browser log the platform in to another Kite account with a crafted
    callback link. (The headless ``kite_login`` needs none: the person who started it pastes the URL.)"""
    if not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
        _login_failed(
            "This login was not started from this browser (its state does not match); "
            "start again at /broker/kite/login.",
            request_id,
        )


def kite_callback_handle(*, status: str, request_token: str, request_id: str = "") -> BrokerSession:
    """Kite's redirect back to us: ``status=success`` with a request token, or the reason it did not work."""
    if status != "success":
        _login_failed(f"Kite did not complete the login (status={status or 'missing'!r}); start again.", request_id)
    return kite_session_create(request_token=request_token, request_id=request_id)


def broker_session_expire(*, session: BrokerSession, reason: str, request_id: str = "") -> bool:
    """Mark an active session expired (its 06:00 IST deadline passed, or Kite rejected the token).
    True when this call made the change; a second caller sees False and records nothing."""
    now = timezone.now()
    with transaction.atomic():
        changed = BrokerSession.objects.filter(pk=session.pk, status=SessionStatus.ACTIVE).update(
            status=SessionStatus.EXPIRED, status_changed_at=now
        )
        if changed == 1:
            auth_event_record(
                event=AuthEventKind.EXPIRED,
                outcome=AuthOutcome.FAILURE,
                provider=session.provider,
                user_id=session.user_id,
                message=reason,
                request_id=request_id,
            )
    if changed:
        session.status, session.status_changed_at = SessionStatus.EXPIRED, now
        logger.warning("broker session %s expired: %s", session.pk, reason)
    return changed == 1


@dataclass(frozen=True)
class LogoutResult:
    session: BrokerSession
    revoked_at_kite: bool
    message: str


def kite_session_logout(*, request_id: str = "") -> LogoutResult:
    """Invalidate the access token at Kite, then locally. A token Kite already considers dead still
    counts as logged out; when Kite cannot be reached the session is revoked locally and the result says so."""
    session = broker_session_active_get(provider=KITE)
    if session is None:
        raise ApplicationError("There is no active Kite session to log out.", status_code=409)
    token = session.get_access_token()
    revoked_at_kite, message = False, ""
    if token:
        client = kite_client(KiteConfig.from_settings())
        try:
            client.set_access_token(token)
            client.invalidate_access_token(token)
            revoked_at_kite, message = True, "Access token invalidated at Kite."
        except TokenException:
            revoked_at_kite, message = True, "Kite no longer accepted the token; it was already invalid."
        except (KiteException, requests.RequestException) as exc:
            message = f"Could not invalidate the token at Kite ({kite_error_translate(exc)}); it dies at 06:00 IST."
        finally:
            client.set_access_token(None)
    else:
        message = "The stored token could not be decrypted; it dies at Kite at 06:00 IST."
    now = timezone.now()
    with transaction.atomic():
        BrokerSession.objects.filter(pk=session.pk, status=SessionStatus.ACTIVE).update(
            status=SessionStatus.REVOKED, status_changed_at=now
        )
        auth_event_record(
            event=AuthEventKind.LOGOUT,
            outcome=AuthOutcome.SUCCESS if revoked_at_kite else AuthOutcome.FAILURE,
            user_id=session.user_id,
            message=message,
            request_id=request_id,
        )
    session.status, session.status_changed_at = SessionStatus.REVOKED, now
    return LogoutResult(session=session, revoked_at_kite=revoked_at_kite, message=message)


def _config_or_login_error(*, request_id: str) -> KiteConfig:
    try:
        return KiteConfig.from_settings()
    except BrokerError as exc:
        _login_failed(str(exc), request_id, status=503)


def _login_failed(message: str, request_id: str, *, status: int = 400) -> NoReturn:
    auth_event_record(
        event=AuthEventKind.LOGIN_FAILED, outcome=AuthOutcome.FAILURE, message=message, request_id=request_id
    )
    raise KiteLoginError(message, status_code=status)


@dataclass(frozen=True)
class TokenRotation:
    """What ``broker_tokens_rotate`` did: sessions re-encrypted under the first key, and those no key reads."""

    rotated: int
    unreadable: int


def broker_tokens_rotate() -> TokenRotation:
    """Re-encrypt every stored broker token under the first OPTRADING_FERNET_KEY (MultiFernet.rotate).

    A token that none of the configured keys decrypts is left as it is (its session can only be logged in again)."""
    rotated = unreadable = 0
    with transaction.atomic():
        for session in BrokerSession.objects.select_for_update().exclude(access_token_encrypted="").order_by("pk"):
            fresh = crypto.rotate(session.access_token_encrypted)
            if fresh is None:
                unreadable += 1
                continue
            BrokerSession.objects.filter(pk=session.pk).update(access_token_encrypted=fresh)
            rotated += 1
    logger.info("broker tokens rotated: %d re-encrypted, %d unreadable", rotated, unreadable)
    return TokenRotation(rotated=rotated, unreadable=unreadable)
