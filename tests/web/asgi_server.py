"""A real ASGI server (uvicorn in a subprocess) on a free loopback port, against the test database and Redis.

pytest-django's live_server is WSGI-only and cannot serve websockets; this serves HTTP and websockets through
``optrading.asgi`` exactly as production does.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import child_process_env

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def asgi_server(*, startup_timeout: float = 30.0) -> Iterator[str]:
    """Yield the base URL of a running server; stop it afterwards. Fails with the server's output if it dies."""
    port = _free_port()
    env = child_process_env(PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "uvicorn", "optrading.asgi:application", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{process.stdout.read()}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:  # refused, reset or timed out while it starts (URLError is an OSError)
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer on {base} within {startup_timeout:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
