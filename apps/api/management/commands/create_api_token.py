"""Print a user's API token (created when missing): clients send it as ``Authorization: Token <key>``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.api.services import api_token_issue
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Print USERNAME's API token, creating it when missing (--reset replaces it)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Revoke the current token and issue a new one.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token, _created = api_token_issue(username=options["username"], reset=options["reset"])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(token.key)
