"""The daily participant import: reads settings.OPTRADING_PARTICIPANTS_DIR (scheduled in optrading/schedules.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings

from apps.core.errors import ApplicationError
from apps.monitoring.services import error_record
from apps.participants.services import participants_import_dir


@shared_task(name="participants.import_dir", acks_late=True, expires=6 * 3600, time_limit=300, soft_time_limit=240)
def participants_import_dir_task() -> list[dict[str, Any]]:
    """Import every participant file in the configured directory; idempotent, so safe to re-run."""
    directory = Path(settings.OPTRADING_PARTICIPANTS_DIR)
    try:
        outcomes = participants_import_dir(directory=directory)
    except ApplicationError as exc:
        error_record(
            component="participants",
            code="participants_dir_missing",
            message=exc.message,
            suggestion="Create the directory or set OPTRADING_PARTICIPANTS_DIR to where the NSE files are saved.",
        )
        return []
    for outcome in outcomes:
        if not outcome.ok:
            error_record(
                component="participants",
                code="participants_file_rejected",
                message=outcome.as_text(),
                suggestion="Download the file again from nsearchives.nseindia.com/content/nsccl/ and import it again.",
            )
    return [
        {"file": o.file, "ok": o.ok, "date": o.date.isoformat() if o.date else None, "kind": o.kind, "error": o.error}
        for o in outcomes
    ]
