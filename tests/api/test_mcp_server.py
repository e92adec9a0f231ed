"""The MCP server through the SDK's own client over the in-memory transport: tools, their results (the
selectors' own), authentication by API token, errors; the command's refusals; runplatform's process."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.management import CommandError, call_command
from django.utils import timezone
from mcp import Client

from apps.alerts.models import AlertEvent, AlertRule
from apps.analytics import selectors
from apps.api.mcp_tools import build_server
from apps.core.api_tokens import api_token_create
from apps.market.models import Underlying
from apps.platform.management.commands.runplatform import process_commands

pytestmark = pytest.mark.django_db
TOOLS = ["alerts", "analytics_summary", "history_series", "option_chain", "participants"]


def call(token: str | None, name: str, arguments: dict[str, Any] | None = None) -> Any:
    server = build_server(default_token=token)

    async def go() -> Any:
        async with Client(server) as client:
            listed = await client.list_tools()
            result = await client.call_tool(name, arguments or {})
            return listed, result

    return async_to_sync(go)()


def test_it_lists_read_only_tools(user) -> None:
    listed, _ = call(api_token_create(user=user).key, "alerts")

    assert sorted(tool.name for tool in listed.tools) == TOOLS
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in listed.tools)


def test_the_summary_tool_answers_what_the_selector_answers(user, market_day) -> None:
    _, result = call(api_token_create(user=user).key, "analytics_summary", {"symbol": "NIFTY", "bucket": "this_week"})

    assert not result.is_error, result.content
    expected = json.loads(json.dumps(selectors.chain_summary(underlying="NIFTY", bucket="this_week"), default=str))
    assert result.structured_content == expected
    assert expected["atm_iv"] is not None


def test_the_chain_tool_gives_the_chain_at_a_past_minute(user, market_day) -> None:
    minute = market_day["minutes"][0]

    _, result = call(api_token_create(user=user).key, "option_chain", {"symbol": "NIFTY", "at": minute.isoformat()})

    assert not result.is_error, result.content
    expected = selectors.chain_greeks(underlying="NIFTY", at=minute)
    assert result.structured_content["minute"] == expected["minute"]
    assert len(result.structured_content["strikes"]) == len(expected["strikes"]) > 0


def test_participants_and_history(user, market_day) -> None:
    token = api_token_create(user=user).key
    _, session = call(token, "participants", {"day": "2026-07-28"})
    _, series = call(token, "history_series", {"symbol": "NIFTY", "field": "max_pain", "start": "2026-03-27"})

    assert not session.is_error and session.structured_content["date"] == "2026-07-28"
    assert not series.is_error and len(series.structured_content["points"]) > 0


def test_alerts_are_only_the_callers_own(user, staff, market_day) -> None:
    nifty = Underlying.objects.get(symbol="NIFTY")
    for owner, message in ((user, "mine"), (staff, "staff's")):
        rule = AlertRule.objects.create(
            owner=owner, underlying=nifty, metric="pcr_oi", condition="crosses_above", value=1.2, channels=[]
        )
        AlertEvent.objects.create(
            rule=rule, minute=market_day["minutes"][-1], value=1.3, message=message, fired_at=timezone.now()
        )

    _, mine = call(api_token_create(user=user).key, "alerts")
    _, everyone = call(api_token_create(user=staff).key, "alerts")

    assert [e["message"] for e in mine.structured_content["events"]] == ["mine"]
    assert sorted(e["message"] for e in everyone.structured_content["events"]) == ["mine", "staff's"]


@pytest.mark.parametrize("token", [None, "0" * 40])
def test_a_call_without_a_valid_token_is_refused(user, token) -> None:
    _, result = call(token, "alerts")

    assert result.is_error
    assert "Not authenticated" in result.content[0].text


def test_bad_arguments_come_back_as_tool_errors(user, market_day) -> None:
    token = api_token_create(user=user).key
    _, unknown = call(token, "analytics_summary", {"symbol": "NIFTI"})
    _, field = call(token, "history_series", {"symbol": "NIFTY", "field": "vwap"})
    _, when = call(token, "option_chain", {"symbol": "NIFTY", "at": "noon"})

    assert unknown.is_error and "NIFTI" in unknown.content[0].text
    assert field.is_error and "field='vwap'" in field.content[0].text
    assert when.is_error and "ISO 8601" in when.content[0].text


def test_the_command_refuses_to_serve_stdio_without_a_valid_token(settings, user) -> None:
    settings.OPTRADING_MCP_TOKEN = ""
    with pytest.raises(CommandError, match="OPTRADING_MCP_TOKEN is not set"):
        call_command("mcp_server")
    settings.OPTRADING_MCP_TOKEN = "not-a-token"
    with pytest.raises(CommandError, match="not a valid API token"):
        call_command("mcp_server")


def test_runplatform_starts_it_over_http_when_enabled(settings) -> None:
    settings.OPTRADING_MCP = False
    assert "mcp" not in process_commands(host="127.0.0.1", port=8000, ws_port=8001, worker=False, ticker=False)
    settings.OPTRADING_MCP, settings.OPTRADING_MCP_PORT = True, 8799
    command = process_commands(host="127.0.0.1", port=8000, ws_port=8001, worker=False, ticker=False)["mcp"]
    assert command[-7:] == ["mcp_server", "--transport", "http", "--host", "127.0.0.1", "--port", "8799"]
