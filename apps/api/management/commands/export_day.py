"""python manage.py export_day --date YYYY-MM-DD --format csv|parquet [--symbol S] [--out DIR]"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.api import exports, params
from apps.archive.selectors import archived_day_check
from apps.core.errors import ApplicationError
from apps.market.clock import ist_day_bounds
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote


class Command(BaseCommand):
    help = (
        "Write every option leg of an IST day (quotes_<day>.<format>) and each underlying's CE/PE-merged chain "
        "(chain_<symbol>_<day>.<format>), the same columns as /api/v1/exports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="IST trading day, YYYY-MM-DD.")
        parser.add_argument("--format", required=True, choices=["csv", "parquet"], dest="file_format")
        parser.add_argument("--symbol", help="Only this underlying, e.g. NIFTY (default: every one with quotes).")
        parser.add_argument("--out", default=".", help="Folder to write into (created when missing; default: .).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(
                f"--date {options['date']!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-19.", returncode=2
            ) from None
        try:
            underlyings = self._underlyings(day, options["symbol"])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} is not a folder.", returncode=2)
        out.mkdir(parents=True, exist_ok=True)
        file_format = options["file_format"]
        only = underlyings[0] if options["symbol"] else None
        suffix = f"_{only.symbol}" if only else ""
        path = out / f"quotes{suffix}_{day.isoformat()}.{file_format}"
        count = exports.file_write(path, kind="quotes", file_format=file_format,
                                   rows=exports.quote_rows(day=day, underlying=only))  # fmt: skip
        self.stdout.write(f"{path}: {count:,} legs")
        for underlying in underlyings:
            path = out / f"chain_{underlying.symbol}_{day.isoformat()}.{file_format}"
            count = exports.file_write(path, kind="chain", file_format=file_format,
                                       rows=exports.chain_rows(day=day, underlying=underlying))  # fmt: skip
            self.stdout.write(f"{path}: {count:,} strikes x minutes")

    @staticmethod
    def _underlyings(day: date, symbol: str | None) -> list[Underlying]:
        """The underlyings to export, checked before anything is written."""
        archived_day_check(day)
        start, end = ist_day_bounds(day)
        quotes = OptionQuote.objects.filter(minute__gte=start, minute__lt=end)
        if symbol:
            underlying = params.underlying_get(symbol=symbol)
            if not quotes.filter(underlying=underlying).exists():
                raise ApplicationError(f"No {underlying.symbol} option quotes are archived on {day.isoformat()}.")
            return [underlying]
        ids = set(quotes.values_list("underlying_id", flat=True).distinct())
        if not ids:
            raise ApplicationError(f"No option quotes are archived on {day.isoformat()}.")
        return list(Underlying.objects.filter(pk__in=ids).order_by("display_order", "symbol"))
