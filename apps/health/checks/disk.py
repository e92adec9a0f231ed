"""Free space where the archive lives: the database's volume and the archive folder."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

from apps.health.components import Component, Status

DISK_DATABASE = "disk_database"
DISK_ARCHIVE = "disk_archive"
GIB = 1024**3


def database_dir() -> tuple[Path | None, str]:
    """The folder whose disk holds the database, and how it was found; None when it cannot be seen from here."""
    if settings.OPTRADING_DATABASE_DIR:
        return Path(settings.OPTRADING_DATABASE_DIR), "OPTRADING_DATABASE_DIR"
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return Path(str(db["NAME"])).resolve().parent, "the SQLite file's folder"
    if connection.vendor == "postgresql" and (db.get("HOST") or "localhost") in {"localhost", "127.0.0.1", "::1"}:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
            row = cursor.fetchone()
        if row and row[0] and Path(row[0]).exists():
            return Path(row[0]), "PostgreSQL's data_directory"
    return None, ""


def disk_usage_check(*, name: str, path: Path | None, label: str, how: str, setting: str) -> Component:
    if path is None:
        return Component(
            name,
            Status.UNKNOWN,
            f"the {label} is not visible from this host",
            f"Set {setting} to a mount of the {label} (docker compose mounts the PostgreSQL volume read-only) "
            "to watch its free space.",
        )
    if not path.exists():
        return Component(
            name,
            Status.UNKNOWN,
            f"{path} does not exist",
            f"Create it, or set {setting} to the {label}.",
            {"path": str(path)},
        )
    usage = shutil.disk_usage(path)
    used_percent = round(100.0 * (usage.total - usage.free) / usage.total, 1) if usage.total else 100.0
    data = {
        "path": str(path),
        "found_by": how,
        "total_bytes": usage.total,
        "free_bytes": usage.free,
        "used_percent": used_percent,
        "nearly_full_percent": float(settings.OPTRADING_DISK_NEARLY_FULL_PERCENT),
        "full_percent": float(settings.OPTRADING_DISK_FULL_PERCENT),
    }
    text = f"{used_percent:.1f} % used, {usage.free / GIB:.1f} GiB free of {usage.total / GIB:.1f} GiB at {path}"
    advice = (
        "Free space on that disk or grow it: delete old exports under var/, move the archive to a larger volume, "
        "or drop old partitions; PostgreSQL stops writing when its disk is full."
    )
    if used_percent >= float(settings.OPTRADING_DISK_FULL_PERCENT):
        return Component(name, Status.DOWN, f"full: {text}", advice, data)
    if used_percent >= float(settings.OPTRADING_DISK_NEARLY_FULL_PERCENT):
        return Component(name, Status.DEGRADED, f"nearly full: {text}", advice, data)
    return Component(name, Status.OK, text, data=data)


def disk_database_check(*, now: datetime) -> Component:
    path, how = database_dir()
    return disk_usage_check(
        name=DISK_DATABASE, path=path, label="database volume", how=how, setting="OPTRADING_DATABASE_DIR"
    )


def disk_archive_check(*, now: datetime) -> Component:
    return disk_usage_check(
        name=DISK_ARCHIVE,
        path=Path(settings.OPTRADING_ARCHIVE_DIR),
        label="archive folder",
        how="OPTRADING_ARCHIVE_DIR",
        setting="OPTRADING_ARCHIVE_DIR",
    )
