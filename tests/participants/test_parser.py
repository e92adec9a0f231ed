from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from apps.participants.parser import ParticipantFileError, parse_title_date, participant_file_parse


@pytest.mark.parametrize(
    "title",
    [
        '""Participant wise Open Interest (no. of contracts) in Equity Derivatives as on Jul 28, 2026""',
        "Participant wise Open Interest (no. of contracts) in Equity Derivatives as on Jul 28,2026",
        "Participant wise Open Interest (no. of contracts) in Equity Derivatives as on July 28, 2026",
        "Participant wise Open Interest (no. of contracts) in Equity Derivatives as on Jul 28 2026",
    ],
)
def test_it_reads_every_title_date_spelling_nse_has_used(title: str) -> None:
    assert parse_title_date(title) == date(2026, 7, 28)


def test_it_maps_the_option_columns_by_name_not_position(oi_28jul2026: Path) -> None:
    parsed = participant_file_parse(oi_28jul2026.read_text(), file_name=oi_28jul2026.name)
    fii = parsed.rows["FII"]
    # Header order is Call Long, Put Long, Call Short, Put Short: 304843, 733568, 552390, 211668.
    assert fii["option_index_call_long"] == 304843
    assert fii["option_index_put_long"] == 733568
    assert fii["option_index_call_short"] == 552390
    assert fii["option_index_put_short"] == 211668
    # Padded header names ("Future Stock Short       ", "Total Long Contracts      ") are read.
    assert fii["future_stock_short"] == 2950984
    assert fii["total_long"] == 4749858


def test_it_takes_the_date_from_the_file_name_when_the_title_has_none(oi_13jul2015: Path) -> None:
    lines = oi_13jul2015.read_text().splitlines()
    text = "\n".join(["Participant wise Open Interest", *lines[1:]])
    parsed = participant_file_parse(text, file_name="fao_participant_oi_13072015.csv")
    assert parsed.date == date(2015, 7, 13)
    assert parsed.kind == "oi"


def test_it_rejects_a_title_and_file_name_that_disagree(oi_13jul2015: Path) -> None:
    with pytest.raises(ParticipantFileError, match="title says 13-Jul-2015 but the file name says 14-Jul-2015"):
        participant_file_parse(oi_13jul2015.read_text(), file_name="fao_participant_oi_14072015.csv")


def test_it_rejects_a_row_whose_long_columns_do_not_add_up(oi_13jul2015: Path) -> None:
    # Move 10 contracts of Total Long from Client to DII: the column sums still match TOTAL, the rows do not.
    text = oi_13jul2015.read_text()
    text = text.replace(",3669621,4077019", ",3669611,4077019").replace(",313986,741031", ",313996,741031")
    with pytest.raises(
        ParticipantFileError,
        match=r"^Client / Total Long Contracts: the long columns sum to 3,669,621 but the file says 3,669,611 "
        r"\(off by \+10; at most ±1 is accepted\)$",
    ):
        participant_file_parse(text, file_name="fao_participant_oi_13072015.csv")
