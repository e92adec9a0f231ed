"""Issue an API token for a user and print its key (shown this once; only its hash is stored).

Clients send it as ``Authorization: Token <key>`` (or ``?token=<key>`` on websocket URLs).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.api.services import api_token_issue
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print its key once (--reset revokes the user's other tokens)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Revoke the user's current tokens first.")
        parser.add_argument("--read-only", action="store_true", help="The token may only read (GET, HEAD, OPTIONS).")
        parser.add_argument("--name", default="", help="What the token is for (shown in the admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            issued = api_token_issue(
                username=options["username"],
                reset=options["reset"],
                read_only=options["read_only"],
                name=options["name"][:64],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(issued.key)
