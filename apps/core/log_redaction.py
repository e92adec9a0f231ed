"""A logging filter that removes secrets from every log line: ``?token=`` and the other credential parameters of
URLs (websocket API tokens, Kite's request_token, access_token, api_secret), Authorization header values, and
anything shaped like one of our API keys (``opt_...``).

It edits the record's message and its string arguments in place, keeping their shape (uvicorn's access formatter
unpacks the argument tuple; gunicorn's access log passes a dict), so it can sit on any handler or logger.
Installed for every handler by ``LOGGING`` (settings) and, for the servers' own handlers that exist before
Django's settings are read (uvicorn, gunicorn), by ``redaction_install`` in ``apps.core``'s ``ready``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
CREDENTIAL_PARAMETERS = ("token", "access_token", "request_token", "api_secret", "api_key_secret", "checksum")
_PARAMETER = re.compile(r"(?i)(?<![a-z0-9_])(" + "|".join(CREDENTIAL_PARAMETERS) + r")(=|%3D)[^&\s\"'#]+")
_AUTHORIZATION = re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(token|bearer|basic)?\s*[^\s\"',}]+")
_SCHEME = re.compile(r"(?i)\b(token|bearer)\s+([A-Za-z0-9_\-.:=]{20,})")
_API_KEY = re.compile(r"\bopt_[A-Za-z0-9_\-]{20,}")
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error", "gunicorn.access", "celery")


def redact(text: str) -> str:
    """The text with every credential replaced by ``[redacted]``."""
    text = _PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{(m.group(2) or '').strip()} {REDACTED}".rstrip(), text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _API_KEY.sub(REDACTED, text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)  # formatters reuse it
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redaction_install() -> None:
    """Put the filter on every handler of the root and the servers' loggers, and on those loggers themselves."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in SERVER_LOGGERS)]
    for logger in loggers:
        targets: list[logging.Filterer] = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, RedactSecretsFilter) for f in target.filters):
                target.addFilter(RedactSecretsFilter())
