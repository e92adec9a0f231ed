"""Loopback stand-ins for the outside world: a webhook receiver and the Telegram Bot API.

Both record every request (raw body and headers) and answer from a script of statuses, so tests can make a
receiver fail, time out or recover. They listen on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``script``: statuses answered in turn (then 200); ``"hang"`` sleeps past the client's timeout."""

    script: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hang_seconds: float = 1.0
    telegram: bool = False
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> int | str:
        with self.lock:
            return self.script.pop(0) if self.script else 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = receiver.next_answer()
            if answer == "hang":
                time.sleep(receiver.hang_seconds)
                answer = 200
            assert isinstance(answer, int)
            if receiver.telegram:
                reply: dict[str, Any] = (
                    {"ok": True, "result": {"message_id": len(receiver.received)}}
                    if answer == 200
                    else {"ok": False, "error_code": answer, "description": "Bad Request: chat not found"}
                    if answer == 400
                    else {
                        "ok": False,
                        "error_code": answer,
                        "description": "Too Many Requests",
                        "parameters": {"retry_after": 3},
                    }
                    if answer == 429
                    else {"ok": False, "error_code": answer, "description": "Internal Server Error"}
                )
                payload = json.dumps(reply).encode()
            else:
                payload = b'{"received": true}'
            try:
                self.send_response(answer)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

    return Handler


@contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
