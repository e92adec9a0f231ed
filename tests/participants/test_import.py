from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from apps.monitoring.models import ErrorEvent
from apps.participants.models import ParticipantPosition
from apps.participants.selectors import participants_for_date, participants_history
from apps.participants.tasks import participants_import_dir_task

pytestmark = pytest.mark.django_db


def _import(path: Path) -> str:
    out = io.StringIO()
    call_command("import_participants", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _rejected(path: Path) -> CommandError:
    with pytest.raises(CommandError) as info:
        call_command("import_participants", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 2
    return info.value


def test_it_reproduces_the_28_jul_2026_fii_and_client_index_futures(oi_28jul2026: Path) -> None:
    _import(oi_28jul2026)

    report = participants_for_date(date(2026, 7, 28))

    fii, client = report["categories"]["FII"], report["categories"]["Client"]
    assert fii["net_index_futures"] == 21862 - 227463 == -205601
    assert client["net_index_futures"] == 205837 - 52584 == 153253
    assert fii["index_futures_long_ratio"] == pytest.approx(0.0877, abs=5e-4)
    assert fii["net_index_calls"] == 304843 - 552390
    assert fii["net_index_puts"] == 733568 - 211668
    assert fii["label"] == "strongly bearish"
    assert client["label"] == "strongly bullish"
    assert fii["changes"] is None


def test_it_accepts_nse_own_off_by_one_and_stores_the_published_total(oi_28jul2026: Path) -> None:
    out = _import(oi_28jul2026)

    total = ParticipantPosition.objects.get(date=date(2026, 7, 28), kind="oi", category="TOTAL")
    assert total.option_index_put_long == 2697954
    summed = sum(
        ParticipantPosition.objects.filter(date=date(2026, 7, 28), kind="oi")
        .exclude(category="TOTAL")
        .values_list("option_index_put_long", flat=True)
    )
    assert summed == 2697953
    assert "Option Index Put Long: categories sum to 2,697,953, TOTAL says 2,697,954" in out


def test_it_reads_the_2015_single_quoted_title_without_padding(oi_13jul2015: Path) -> None:
    _import(oi_13jul2015)

    fii = participants_for_date(date(2015, 7, 13))["categories"]["FII"]
    assert fii["net_index_futures"] == 536248 - 246898
    assert fii["index_futures_long_ratio"] == pytest.approx(536248 / (536248 + 246898))
    assert ParticipantPosition.objects.filter(date=date(2015, 7, 13), kind="oi").count() == 5


def test_it_stores_the_19_aug_2026_volume_file_as_volume(vol_19aug2026: Path) -> None:
    _import(vol_19aug2026)

    report = participants_for_date(date(2026, 8, 19), kind="volume")
    assert report["categories"]["FII"]["net_index_futures"] == 8934 - 24583
    assert report["categories"]["Pro"]["net_index_calls"] == 12464576 - 12359974
    assert report["total"]["total_long"] == 55657974
    assert not ParticipantPosition.objects.filter(kind="oi").exists()


def test_it_reports_day_on_day_changes_against_the_previous_stored_session(
    oi_13jul2015: Path, oi_28jul2026: Path
) -> None:
    _import(oi_13jul2015)
    _import(oi_28jul2026)

    fii = participants_for_date(date(2026, 7, 28))["categories"]["FII"]
    assert fii["changes"]["net_index_futures"] == -205601 - (536248 - 246898)
    assert fii["changes"]["future_index_short"] == 227463 - 246898
    assert fii["changes"]["index_futures_long_ratio"] == pytest.approx(21862 / 249325 - 536248 / 783146)
    history = participants_history(date(2015, 1, 1), date(2026, 12, 31))
    assert [h["date"] for h in history] == ["2015-07-13", "2026-07-28"]
    assert history[0]["categories"]["FII"]["changes"] is None
    assert history[1]["previous_date"] == "2015-07-13"


def test_it_defines_institutional_vs_retail_from_long_ratios(oi_28jul2026: Path) -> None:
    _import(oi_28jul2026)

    ivr = participants_for_date(date(2026, 7, 28))["institutional_vs_retail"]
    institutional = (70112 + 21862 + 20281) / (70112 + 21862 + 20281 + 15641 + 227463 + 22404)
    retail = 205837 / (205837 + 52584)
    assert ivr["ratio"] == pytest.approx(institutional / retail)
    assert ivr["ratio"] < 1
    assert ivr["retail_net_index_futures"] == 153253


def test_it_is_idempotent(oi_28jul2026: Path) -> None:
    _import(oi_28jul2026)
    _import(oi_28jul2026)
    assert ParticipantPosition.objects.count() == 5


def _broken_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text
    target = tmp_path / source.name
    target.write_text(text.replace(old, new, 1))
    return target


def test_it_rejects_a_total_row_whose_long_and_short_differ(tmp_path: Path, oi_13jul2015: Path) -> None:
    bad = _broken_copy(tmp_path, oi_13jul2015, "TOTAL,929236,929236", "TOTAL,929236,929240")
    error = _rejected(bad)
    assert str(error) == (
        "fao_participant_oi_13072015.csv: TOTAL Future Index Long = 929,236 but Future Index Short = 929,240; "
        "every contract has a buyer and a seller, so they must be equal"
    )
    assert not ParticipantPosition.objects.exists()


def test_it_rejects_categories_that_do_not_sum_to_total(tmp_path: Path, oi_13jul2015: Path) -> None:
    bad = _broken_copy(tmp_path, oi_13jul2015, "FII,536248,", "FII,536258,")
    message = str(_rejected(bad))
    assert "fao_participant_oi_13072015.csv: Future Index Long" in message
    assert "Client + DII + FII + Pro = 929,246 but TOTAL = 929,236 (off by +10" in message
    assert not ParticipantPosition.objects.exists()


def test_it_rejects_a_missing_column(tmp_path: Path, oi_13jul2015: Path) -> None:
    bad = _broken_copy(tmp_path, oi_13jul2015, "Option Index Put Short,", "Option Index Put Shrt,")
    assert "missing column(s): Option Index Put Short" in str(_rejected(bad))
    assert not ParticipantPosition.objects.exists()


def test_it_rejects_a_non_numeric_value(tmp_path: Path, oi_13jul2015: Path) -> None:
    bad = _broken_copy(tmp_path, oi_13jul2015, "Pro,92406,", "Pro,n/a,")
    assert "Pro / Future Index Long: 'n/a' is not a number" in str(_rejected(bad))
    assert not ParticipantPosition.objects.exists()


def test_it_rejects_garbage_such_as_an_html_page(tmp_path: Path) -> None:
    bad = tmp_path / "fao_participant_oi_29072026.csv"
    bad.write_text("<!DOCTYPE html><html><body>Resource not found</body></html>")
    assert "HTML page" in str(_rejected(bad))
    noise = tmp_path / "fao_participant_oi_30072026.csv"
    noise.write_bytes(b"\x00\x01garbage,,,\n1,2,3\n")
    assert "line 1 holds a NUL byte" in str(_rejected(noise))
    assert not ParticipantPosition.objects.exists()


def test_it_imports_a_directory_and_reports_each_file(
    tmp_path: Path, oi_28jul2026: Path, oi_13jul2015: Path, vol_19aug2026: Path
) -> None:
    for good in (oi_28jul2026, vol_19aug2026):
        (tmp_path / good.name).write_bytes(good.read_bytes())
    _broken_copy(tmp_path, oi_13jul2015, "TOTAL,929236,929236", "TOTAL,929236,929240")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as info:
        call_command("import_participants", str(tmp_path), stdout=out, stderr=err)

    assert info.value.returncode == 2
    assert "1 of 3 file(s) rejected: fao_participant_oi_13072015.csv" in str(info.value)
    assert "imported fao_participant_oi_28072026.csv: oi 2026-07-28, 5 rows" in out.getvalue()
    assert "imported fao_participant_vol_19082026.csv: volume 2026-08-19, 5 rows" in out.getvalue()
    assert "REJECTED fao_participant_oi_13072015.csv: TOTAL Future Index Long" in err.getvalue()
    assert set(ParticipantPosition.objects.values_list("date", flat=True)) == {date(2026, 7, 28), date(2026, 8, 19)}


def test_it_rejects_a_path_that_does_not_exist(tmp_path: Path) -> None:
    assert "does not exist" in str(_rejected(tmp_path / "nope.csv"))


def test_the_daily_task_imports_the_configured_directory_and_records_rejections(
    tmp_path: Path, oi_28jul2026: Path, oi_13jul2015: Path
) -> None:
    (tmp_path / oi_28jul2026.name).write_bytes(oi_28jul2026.read_bytes())
    _broken_copy(tmp_path, oi_13jul2015, "FII,536248,", "FII,536258,")

    with override_settings(OPTRADING_PARTICIPANTS_DIR=str(tmp_path)):
        result = participants_import_dir_task.delay().get()

    assert [(r["file"], r["ok"]) for r in result] == [
        ("fao_participant_oi_13072015.csv", False),
        ("fao_participant_oi_28072026.csv", True),
    ]
    event = ErrorEvent.objects.get(component="participants", code="participants_file_rejected")
    assert "fao_participant_oi_13072015.csv" in event.message
    assert ParticipantPosition.objects.filter(date=date(2026, 7, 28)).count() == 5


def test_the_report_prints_json_per_category(oi_28jul2026: Path) -> None:
    _import(oi_28jul2026)
    out = io.StringIO()

    call_command("participants_report", "--date", "2026-07-28", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert set(report["categories"]) == {"FII", "DII", "Pro", "Client"}
    assert report["categories"]["FII"]["net_index_futures"] == -205601
    assert report["categories"]["Client"]["net_index_futures"] == 153253
    assert report["categories"]["DII"]["net_index_futures"] == 70112 - 15641
    for row in report["categories"].values():
        assert {"net_index_calls", "net_index_puts", "index_futures_long_ratio", "changes", "label"} <= set(row)


def test_the_report_exits_2_for_an_unknown_date(oi_28jul2026: Path) -> None:
    _import(oi_28jul2026)
    with pytest.raises(CommandError) as info:
        call_command("participants_report", "--date", "2026-07-29", stdout=io.StringIO())
    assert info.value.returncode == 2
    assert "No participant oi data is stored for 2026-07-29" in str(info.value)
    with pytest.raises(CommandError) as info:
        call_command("participants_report", "--date", "28-07-2026", stdout=io.StringIO())
    assert info.value.returncode == 2
