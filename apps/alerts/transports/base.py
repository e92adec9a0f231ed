from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Message:
    """What every channel sends: ``subject`` and ``text`` for people, ``payload`` (JSON) for machines."""

    kind: str  # alert.fired | fault.problem | fault.resolved
    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, attempts: int = 1):
        super().__init__(message)
        self.permanent = permanent
        self.attempts = attempts


class Transport(Protocol):
    channel: str

    def send(self, message: Message, target: str) -> int:
        """Deliver ``message`` to ``target``; the number of attempts it took."""


def backoff_delays(*, tries: int, first: float) -> list[float]:
    """Seconds to wait before each retry: ``first``, then doubling (1, 2, 4 s for four tries)."""
    return [first * 2**i for i in range(max(tries - 1, 0))]


def real_sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
