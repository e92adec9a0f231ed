"""Headless Kite login: print the login URL, then exchange the request token from the redirect URL.

    python manage.py kite_login                      # prints the URL, then reads the redirect URL from stdin
    python manage.py kite_login 'https://my.app/broker/kite/callback?status=success&request_token=XYZ'
    python manage.py kite_login --request-token XYZ

Exit status: 0 logged in; 2 the input or the token was refused (Kite's reason on stderr); 1 Kite unreachable.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.brokers.services import KiteLoginError, kite_callback_handle, kite_login_start
from apps.market.clock import IST


def redirect_parse(text: str) -> tuple[str, str]:
    """(status, request_token) from a pasted redirect URL or query string; a bare token counts as a success."""
    text = text.strip()
    if "request_token=" not in text and "status=" not in text:
        return "success", text
    query = parse_qs(urlsplit(text).query if "?" in text else text)
    return (query.get("status") or [""])[0], (query.get("request_token") or [""])[0]


class Command(BaseCommand):
    help = "Log in to Kite without a browser callback: paste the redirect URL (or pass --request-token)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("redirect_url", nargs="?", help="The URL Kite redirected to after the login.")
        parser.add_argument("--request-token", help="The request_token value from that URL.")

    def handle(self, *args: Any, **options: Any) -> None:
        request_id = f"cli-{uuid.uuid4().hex[:12]}"
        try:
            url = kite_login_start(request_id=request_id)
        except KiteLoginError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(f"Kite login URL: {url}")
        if options["request_token"]:
            status, token = "success", options["request_token"]
        else:
            text = options["redirect_url"]
            if not text:
                self.stdout.write("Open it in a browser, log in, and paste the URL Kite redirects to:")
                self.stdout.flush()
                text = sys.stdin.readline()
            if not text.strip():
                raise CommandError("No redirect URL or request token was given.", returncode=2)
            status, token = redirect_parse(text)
        try:
            session = kite_callback_handle(status=status, request_token=token, request_id=request_id)
        except KiteLoginError as exc:
            raise CommandError(exc.message, returncode=1 if exc.status_code >= 500 else 2) from exc
        until = session.expires_at.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")
        name = f" ({session.user_name})" if session.user_name else ""
        self.stdout.write(self.style.SUCCESS(f"Logged in to Kite as {session.user_id}{name}; valid until {until}."))
