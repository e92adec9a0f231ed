"""Reads of the stored quality reports (API, system page, the system-health feed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings

from apps.market.clock import to_ist
from apps.quality.models import QualityReport


def quality_report_get(*, day: date | None = None) -> QualityReport | None:
    """The report of ``day``, or the latest one."""
    reports = QualityReport.objects.prefetch_related("underlyings__underlying")
    return reports.filter(day=day).first() if day else reports.order_by("-day").first()


def quality_report_dict(report: QualityReport) -> dict[str, Any]:
    threshold = float(settings.OPTRADING_QUALITY_ALERT_BELOW)
    return {
        "date": report.day.isoformat(),
        "score": round(report.score, 2),
        "threshold": threshold,
        "below_threshold": report.score < threshold,
        "expected_minutes": report.expected_minutes,
        "computed_at": to_ist(report.computed_at).isoformat(),
        "notes": report.notes,
        "underlyings": [
            {
                "symbol": u.underlying.symbol,
                "score": round(u.score, 2),
                "expected_minutes": u.expected_minutes,
                "collected_minutes": u.collected_minutes,
                "missing_minutes": u.expected_minutes - u.collected_minutes,
                "gaps": u.details.get("gaps", []),
                "planned_contracts": u.planned_contracts,
                "missing_contracts": u.missing_contracts,
                "minutes_with_missing_strikes": u.minutes_with_missing_strikes,
                "worst_minutes": u.details.get("worst_minutes", []),
                "rows": u.rows,
                "stale_quotes": u.stale_quotes,
                "zero_quotes": u.zero_quotes,
                "bad_quotes": u.bad_quotes,
                "iv_failed": u.iv_failed,
                "iv_failures": u.iv_failures,
                "repeated_minutes": u.repeated_minutes,
                "factors": u.details.get("factors", {}),
            }
            for u in report.underlyings.all()
        ],
    }


def quality_recent(*, limit: int = 10) -> list[dict[str, Any]]:
    """The latest days' scores, newest first (date, score, below_threshold) for the system page."""
    threshold = float(settings.OPTRADING_QUALITY_ALERT_BELOW)
    return [
        {"date": day.isoformat(), "score": round(score, 1), "below_threshold": score < threshold}
        for day, score in QualityReport.objects.order_by("-day").values_list("day", "score")[:limit]
    ]
