"""python manage.py mcp_server [--transport stdio|http] [--host H] [--port P]: the MCP server (docs/mcp.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.api.mcp_tools import build_server, user_for_token


class Command(BaseCommand):
    help = "Serve read-only MCP tools (chain, summary, history, participants, alerts) over stdio or HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None, help="HTTP port (default OPTRADING_MCP_PORT).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["transport"] == "stdio":
            token = settings.OPTRADING_MCP_TOKEN
            if not token:
                raise CommandError("OPTRADING_MCP_TOKEN is not set: stdio needs an API token to act as a user.")
            if user_for_token(token) is None:
                raise CommandError("OPTRADING_MCP_TOKEN is not a valid API token of an active user.")
            build_server(default_token=token).run("stdio")
            return
        port = options["port"] or int(settings.OPTRADING_MCP_PORT)
        if not 1 <= port <= 65535:
            raise CommandError(f"--port {port} is not a TCP port.")
        self.stderr.write(f"MCP over streamable HTTP on http://{options['host']}:{port}/mcp (Token auth per request)")
        build_server().run("streamable-http", host=options["host"], port=port)
