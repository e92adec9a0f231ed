"""kite_login exit codes (in-process and as a real process), and the settings guard for OPTRADING_BROKER=kite."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.brokers.models import AuthEvent, BrokerSession, SessionStatus
from tests.kite_double import KiteDouble
from tests.support import child_process_env

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


def _run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("kite_login", *args, stdout=out)
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def test_it_logs_in_from_a_pasted_redirect_url(kite_settings, kite_double: KiteDouble) -> None:
    token = kite_double.issue_request_token()
    out = _run(
        stdin=f"https://example.test/broker/kite/callback?action=login&type=login&status=success&request_token={token}\n"
    )
    assert f"Kite login URL: https://kite.zerodha.com/connect/login?api_key={kite_double.api_key}&v=3" in out
    assert "Logged in to Kite as DB1234 (Double Trader); valid until" in out
    assert BrokerSession.objects.get().status == SessionStatus.ACTIVE


def test_it_logs_in_from_an_argument_or_option(kite_settings, kite_double: KiteDouble) -> None:
    _run(f"https://example.test/cb?status=success&request_token={kite_double.issue_request_token()}")
    _run("--request-token", kite_double.issue_request_token())
    assert list(BrokerSession.objects.order_by("id").values_list("status", flat=True)) == ["superseded", "active"]


def test_it_exits_2_with_kites_message_for_a_used_token(kite_settings, kite_double: KiteDouble) -> None:
    token = kite_double.issue_request_token()
    _run("--request-token", token)
    with pytest.raises(CommandError, match="Token is invalid or has expired") as caught:
        _run("--request-token", token)
    assert caught.value.returncode == 2


def test_it_exits_2_when_kite_reports_a_failed_login(kite_settings, kite_double: KiteDouble) -> None:
    with pytest.raises(CommandError, match="status='cancelled'") as caught:
        _run("https://example.test/cb?status=cancelled")
    assert caught.value.returncode == 2
    assert AuthEvent.objects.filter(event="login_failed").count() == 1


def test_it_exits_2_on_empty_input(kite_settings) -> None:
    with pytest.raises(CommandError, match="No redirect URL") as caught:
        _run(stdin="\n")
    assert caught.value.returncode == 2


def test_it_exits_1_when_kite_is_unreachable(kite_settings, kite_double: KiteDouble) -> None:
    token = kite_double.issue_request_token()
    kite_double.stop()
    with pytest.raises(CommandError, match="Could not reach Kite") as caught:
        _run("--request-token", token)
    assert caught.value.returncode == 1


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = child_process_env(**env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.django_db(transaction=True)
def test_the_process_exit_status_is_0_then_2_for_a_reused_token(kite_double: KiteDouble) -> None:
    env = {
        "OPTRADING_BROKER": "kite",
        "KITE_API_KEY": kite_double.api_key,
        "KITE_API_SECRET": kite_double.api_secret,
        "KITE_API_ROOT": kite_double.root,
    }
    token = kite_double.issue_request_token()
    ok = _manage(["kite_login", "--request-token", token], env)
    assert ok.returncode == 0, ok.stderr
    assert "Logged in to Kite as DB1234" in ok.stdout
    again = _manage(["kite_login", "--request-token", token], env)
    assert again.returncode == 2
    assert "Token is invalid or has expired." in again.stderr
    assert BrokerSession.objects.filter(status=SessionStatus.ACTIVE).count() == 1


def test_settings_refuse_to_start_the_kite_broker_without_credentials() -> None:
    code = "import django; django.setup()"
    env = child_process_env(OPTRADING_BROKER="kite")
    env.pop("KITE_API_KEY", None)
    env["KITE_API_SECRET"] = "something"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "KITE_API_KEY must be set when OPTRADING_BROKER=kite." in result.stderr

    env["KITE_API_KEY"], env["KITE_API_SECRET"] = "key", ""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "KITE_API_SECRET must be set when OPTRADING_BROKER=kite." in result.stderr
