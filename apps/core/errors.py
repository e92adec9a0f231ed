"""One error type for rules broken by input; the API maps it to a 4xx JSON reply, commands to exit 2."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A request the platform understood but cannot satisfy (unknown symbol, bad parameter, ...)."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = 404
