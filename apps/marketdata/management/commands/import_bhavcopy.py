"""python manage.py import_bhavcopy FILE"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import ApplicationError
from apps.market.clock import to_ist
from apps.marketdata.services.bhavcopy import bhavcopy_import


class Command(BaseCommand):
    help = (
        "Load an NSE/BSE F&O UDiFF bhavcopy (CSV or zipped CSV) as an end-of-day option-chain snapshot at the "
        "session close of its trade date. Settlement prices; volume and OI in units."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="BhavCopy_NSE_FO_0_0_0_YYYYMMDD_F_0000.csv(.zip), or an excerpt with its header."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.", returncode=2)
        try:
            result = bhavcopy_import(path=path)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(
            f"{path.name}: trade date {result.trade_date}, stored at {to_ist(result.minute):%Y-%m-%d %H:%M} IST; "
            f"{result.total} option quotes ({', '.join(f'{s} {n}' for s, n in result.options.items())}), "
            f"{result.instruments_created} new instruments."
        )
        if result.expiring:
            self.stdout.write(
                f"  {result.expiring} contracts expired that day: stored at their settlement payoff "
                "(SttlmPric of expiring rows is the underlying's settlement value)."
            )
        if result.kept_collected:
            self.stdout.write(
                f"  {result.kept_collected} quotes already archived at that minute were kept (the first writer "
                "keeps a minute)."
            )
        if result.skipped_symbols:
            self.stdout.write(f"  skipped underlyings not configured here: {', '.join(result.skipped_symbols)}")
