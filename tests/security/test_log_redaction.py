"""No token reaches a log line: the redaction filter on Django's handlers, and the real servers' access logs
(uvicorn and gunicorn subprocesses) for a URL carrying ``?token=``."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from apps.core.log_redaction import REDACTED, RedactSecretsFilter, redact
from tests.support import child_process_env

ROOT = Path(__file__).resolve().parents[2]
SECRET = "opt_" + "S3cr3tTokenValue" * 3


@pytest.mark.parametrize(
    "line",
    [
        f"GET /ws/live-data/?symbol=NIFTY&token={SECRET} 101",
        f"GET /broker/kite/callback?status=success&request_token={SECRET}&state=x",
        f"POST /session/token api_key=k&request_token={SECRET}&checksum={SECRET}",
        f"headers={{'Authorization': 'Token {SECRET}'}}",
        f"Authorization: Bearer {SECRET}",
        f"authorization=token kiteapikey:{SECRET}",
        f"the key is {SECRET}.",
        f"/ws/system/?token%3D{SECRET}",
    ],
)
def test_each_credential_shape_is_redacted(line: str) -> None:
    cleaned = redact(line)
    assert SECRET not in cleaned
    assert REDACTED in cleaned


def test_ordinary_text_is_left_alone() -> None:
    line = "GET /api/v1/option-chain/NIFTY?expiry=weekly&at=2026-01-20T10:15:00+05:30 200 (tokens: 12)"
    assert redact(line) == line


def test_the_settings_put_the_filter_on_every_handler_and_it_keeps_argument_shapes(caplog) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact" in handler["filters"], name
    for logger_name in ("", "uvicorn.access", "gunicorn.access"):
        logger = logging.getLogger(logger_name)
        assert any(isinstance(f, RedactSecretsFilter) for f in logger.filters), logger_name

    # uvicorn's access record: a 5-tuple its formatter unpacks; the path is redacted, the shape kept.
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/ws/live-data/?token={SECRET}", "1.1", 101
        )
        logging.getLogger("gunicorn.access").info("%(r)s %(s)s", {"r": f"GET /x?token={SECRET} HTTP/1.1", "s": "200"})
    (uvicorn_record, gunicorn_record) = caplog.records
    assert isinstance(uvicorn_record.args, tuple) and len(uvicorn_record.args) == 5
    assert uvicorn_record.getMessage() == f'127.0.0.1:5 - "GET /ws/live-data/?token={REDACTED} HTTP/1.1" 101'
    assert gunicorn_record.getMessage() == f"GET /x?token={REDACTED} HTTP/1.1 200"


def test_a_traceback_carrying_a_token_is_redacted(caplog) -> None:  # type: ignore[no-untyped-def]
    handler_filter = RedactSecretsFilter()
    try:
        raise ValueError(f"bad url /ws/?token={SECRET}")
    except ValueError:
        record = logging.getLogger("apps.test").makeRecord(
            "apps.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    handler_filter.filter(record)
    assert SECRET not in logging.Formatter().format(record)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_read_log(command: list[str], port: int) -> str:
    env = child_process_env(PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/?next=/&token={SECRET}", timeout=5
                ) as response:
                    assert response.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        time.sleep(0.5)  # the access line is written after the response
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    return output


@pytest.mark.slow
def test_uvicorns_access_log_never_shows_the_token() -> None:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "optrading.asgi:application", "--host", "127.0.0.1"]
    output = _serve_and_read_log([*command, "--port", str(port), "--log-level", "info"], port)
    assert f"/accounts/login/?next=/&token={REDACTED}" in output, output
    assert SECRET not in output


@pytest.mark.slow
def test_gunicorns_access_log_never_shows_the_token() -> None:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "optrading.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    output = _serve_and_read_log([*command, "--workers", "1", "--access-logfile", "-"], port)
    assert f"token={REDACTED}" in output, output
    assert SECRET not in output
