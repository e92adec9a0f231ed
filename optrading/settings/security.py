"""Helpers for the security settings (docs/security.md): required secrets and the content security policy."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from optrading.env import env

SECRET_MIN_LENGTH = {"DJANGO_SECRET_KEY": 50, "OPTRADING_WEBHOOK_SECRET": 32, "OPTRADING_METRICS_TOKEN": 32}
"""Shortest value accepted in production (Django's own deploy check wants 50 characters for the secret key)."""


def require_secret(name: str) -> str:
    """The variable's value; in production a missing or short one stops startup with a message naming it."""
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set: DJANGO_ENV=production takes secrets only from the environment (docs/security.md)."
        )
    shortest = SECRET_MIN_LENGTH.get(name, 0)
    if len(value) < shortest:
        raise ImproperlyConfigured(f"{name} is too short: DJANGO_ENV=production needs at least {shortest} characters.")
    return value


def content_security_policy(*, ws_port: int) -> dict[str, object]:
    """django-csp's policy for every page: scripts, styles, fonts and images only from our own origin.

    Style attributes stay allowed (``style-src-attr``): ECharts' tooltips are HTML with inline styles. No inline
    script and no ``<style>`` element runs; the API docs page alone adds its inline ``<style>`` (apps.api.docs).
    """
    connect = ["'self'"]
    if ws_port:
        # The websocket server on its own port (runplatform without a proxy): same host name, another port.
        connect += [f"ws://*:{ws_port}", f"wss://*:{ws_port}"]
    return {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "style-src-attr": ["'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'", "data:"],
            "connect-src": connect,
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    }


def require_fernet_keys(name: str = "OPTRADING_FERNET_KEY") -> str:
    """The comma-separated Fernet keys (production): present, and each one a real Fernet key."""
    from cryptography.fernet import Fernet

    value = require_secret(name)
    for position, key in enumerate((part.strip() for part in value.split(",") if part.strip()), start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)."
            ) from None
    return value
