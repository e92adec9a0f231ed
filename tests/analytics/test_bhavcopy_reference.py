"""Reference values end to end: import_bhavcopy (real NSE UDiFF rows of 27-Mar-2026) then analytics_report.

Expected numbers: tests/fixtures/exchange/README.md ("Reference numbers"), computed independently: settlement
prices, OI and volume from the exchange file, r = 0.055, t = calendar days between the trade date and the expiry,
both at the close.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.analytics.models import ChainSnapshot
from apps.marketdata.models import OptionQuote
from tests.exchange_files import FO_BHAVCOPY
from tests.factories.market import BankNiftyFactory, UnderlyingFactory

pytestmark = pytest.mark.django_db

DATA = FO_BHAVCOPY


def _report(symbol: str, expiry: str) -> dict:
    out = StringIO()
    call_command("analytics_report", symbol, "--date", "2026-03-27", "--expiry", expiry, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def imported() -> None:
    UnderlyingFactory()
    BankNiftyFactory()
    call_command("import_bhavcopy", str(DATA / "NIFTY_20260327.csv"), stdout=StringIO())
    call_command("import_bhavcopy", str(DATA / "BANKNIFTY_20260327.csv"), stdout=StringIO())


@pytest.mark.parametrize(
    ("symbol", "expiry", "pcr_oi", "pcr_volume", "max_pain", "forward", "atm", "atm_iv", "straddle"),
    [
        ("NIFTY", "2026-03-30", 0.8809, 1.2256, 23150, 22821.08, 22800, 0.2588, 426.00),
        ("NIFTY", "2026-04-07", 0.9089, 0.8320, 23600, 22834.22, 22850, 0.2997, 948.15),
        ("BANKNIFTY", "2026-04-28", 0.8610, 0.6200, 56000, 52582.66, 52600, 0.2968, 2850.55),
    ],
)
def test_it_reproduces_the_reference_chain_analytics(
    imported, symbol, expiry, pcr_oi, pcr_volume, max_pain, forward, atm, atm_iv, straddle
) -> None:
    assert not ChainSnapshot.objects.exists()  # the report computes what has not been analysed yet
    report = _report(symbol, expiry)
    assert report["pcr_oi"] == pytest.approx(pcr_oi, abs=5e-5)
    assert report["pcr_volume"] == pytest.approx(pcr_volume, abs=5e-5)
    assert report["max_pain"] == max_pain
    assert report["forward"] == pytest.approx(forward, abs=0.005)
    assert report["forward_source"] == "parity"
    assert report["atm_strike"] == atm
    assert report["atm_iv"] == pytest.approx(atm_iv, abs=5e-5)
    assert report["straddle"] == pytest.approx(straddle, abs=0.005)
    assert report["expected_move"] == pytest.approx(report["forward"] * report["atm_iv"] * report["t_years"] ** 0.5)
    assert report["sentiment"] in {"bullish", "bearish", "neutral"}
    for key in ("spot", "rr25", "bf25"):
        assert key in report
    # Settlement prices drive the IVs of end-of-day rows.
    assert set(OptionQuote.objects.filter(iv__isnull=False).values_list("iv_source", flat=True)) == {"settlement"}


def test_it_reports_the_nifty_skew_and_spot_label(imported) -> None:
    report = _report("NIFTY", "2026-04-07")
    assert report["spot"] == pytest.approx(22819.6)
    assert report["atm_strike_spot"] == 22800  # spot-based ATM is only a label
    assert report["rr25"] < 0  # NIFTY's put skew


def test_it_exits_2_for_an_unknown_symbol_or_a_date_without_data(imported) -> None:
    with pytest.raises(CommandError, match="Unknown symbol 'NOPE'") as unknown:
        _report("NOPE", "2026-03-30")
    assert unknown.value.returncode == 2
    with pytest.raises(CommandError, match="No NIFTY option quotes") as missing:
        call_command("analytics_report", "NIFTY", "--date", "2026-03-26", "--expiry", "2026-03-30", "--json")
    assert missing.value.returncode == 2
    with pytest.raises(CommandError, match="YYYY-MM-DD") as bad:
        call_command("analytics_report", "NIFTY", "--date", "27/03/2026", "--expiry", "2026-03-30")
    assert bad.value.returncode == 2
