"""Import NSE participant files: one transaction per file, so a bad file stores nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.participants.models import ParticipantPosition
from apps.participants.parser import (
    FIELDS,
    MAX_FILE_BYTES,
    ParticipantFileError,
    participant_bytes_text,
    participant_file_parse,
)
from apps.participants.signals import participants_imported

FILE_PATTERN = "fao_participant_*.csv"


@dataclass(frozen=True)
class ParticipantImport:
    """What happened to one file."""

    file: str
    ok: bool
    date: date | None = None
    kind: str = ""
    rows: int = 0
    error: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_text(self) -> str:
        if not self.ok:
            return f"REJECTED {self.file}: {self.error}"
        note = f" ({len(self.warnings)} ±1 mismatch(es) accepted)" if self.warnings else ""
        return f"imported {self.file}: {self.kind} {self.date:%Y-%m-%d}, {self.rows} rows{note}"


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:  # refused before it is read
        raise ParticipantFileError(f"the file is {path.stat().st_size:,} bytes; at most {MAX_FILE_BYTES:,}")
    return participant_bytes_text(path.read_bytes())


def participants_import_file(*, path: Path) -> ParticipantImport:
    """Parse, validate and upsert one file. Raises ApplicationError naming the file and the problem."""
    try:
        parsed = participant_file_parse(_read_text(path), file_name=path.name)
    except ParticipantFileError as exc:
        raise ApplicationError(f"{path.name}: {exc}", extra={"file": str(path)}) from exc
    except OSError as exc:
        raise ApplicationError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    now = timezone.now()
    with transaction.atomic():
        for category, values in parsed.rows.items():
            ParticipantPosition.objects.update_or_create(
                date=parsed.date,
                kind=parsed.kind,
                category=category,
                defaults={**{f: values[f] for f in FIELDS}, "source_file": path.name, "imported_at": now},
            )
        transaction.on_commit(
            lambda: participants_imported.send_robust(sender=ParticipantPosition, day=parsed.date, kind=parsed.kind)
        )
    return ParticipantImport(
        file=path.name, ok=True, date=parsed.date, kind=parsed.kind, rows=len(parsed.rows), warnings=parsed.warnings
    )


def participants_import_dir(*, directory: Path) -> list[ParticipantImport]:
    """Import every fao_participant_*.csv in ``directory`` (sorted by name); a bad file does not stop the rest."""
    if not directory.is_dir():
        raise ApplicationError(f"{directory} is not a directory")
    outcomes: list[ParticipantImport] = []
    for path in sorted(directory.glob(FILE_PATTERN)):
        try:
            outcomes.append(participants_import_file(path=path))
        except ApplicationError as exc:
            outcomes.append(
                ParticipantImport(file=path.name, ok=False, error=exc.message.removeprefix(f"{path.name}: "))
            )
    return outcomes


def participants_import_path(*, path: Path) -> list[ParticipantImport]:
    """A file or a directory; a single file that fails raises, a directory reports each file."""
    if path.is_dir():
        return participants_import_dir(directory=path)
    if not path.exists():
        raise ApplicationError(f"{path} does not exist")
    return [participants_import_file(path=path)]
