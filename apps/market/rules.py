"""Market rules that change over time, loaded once from the JSON files in ``apps/market/rules/``.

Holidays, session times, expiry weekdays, lot sizes and strike steps are data, not constants: a new
holiday circular or lot revision is a one-line edit of a data file. Pure Python, no Django.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parent / "rules"


@dataclass(frozen=True)
class SessionRule:
    effective_from: date
    open: time
    close: time
    pre_open: time


@dataclass(frozen=True)
class SpecialSession:
    day: date
    name: str
    open: time
    close: time


@dataclass(frozen=True)
class ExpiryRule:
    """Expiry weekdays (0 = Monday) in force for expiries on or after ``effective_from``."""

    effective_from: date
    weekly: int | None
    monthly: int


@dataclass(frozen=True)
class LotSizeRule:
    effective_from: date
    lot_size: int


@dataclass(frozen=True)
class UnderlyingSpec:
    symbol: str
    display_name: str
    exchange: str
    spot_tradingsymbol: str
    spot_token: int
    options_exchange: str
    options_segment: str
    has_weeklies: bool
    display_order: int
    strike_step: float
    expiry_rules: tuple[ExpiryRule, ...]
    lot_sizes: tuple[LotSizeRule, ...]
    lot_size_exceptions: dict[date, int]


@dataclass(frozen=True)
class CalendarRules:
    sessions: tuple[SessionRule, ...]
    holidays: dict[str, dict[date, str]]
    special_sessions: dict[str, dict[date, SpecialSession]]
    exchange_calendar: dict[str, str]
    covered_years: tuple[int, ...]


def _read(name: str) -> dict[str, Any]:
    with (RULES_DIR / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _time(text: str) -> time:
    return time.fromisoformat(text)


def _resolve_alias(table: dict[str, Any], key: str) -> Any:
    """``"BSE": "NSE"`` in a data file means BSE shares NSE's table."""
    value = table[key]
    while isinstance(value, str):
        value = table[value]
    return value


@cache
def calendar_rules() -> CalendarRules:
    raw = _read("calendar.json")
    sessions = tuple(
        sorted(
            (
                SessionRule(
                    effective_from=date.fromisoformat(row["from"]),
                    open=_time(row["open"]),
                    close=_time(row["close"]),
                    pre_open=_time(row["pre_open"]),
                )
                for row in raw["sessions"]
            ),
            key=lambda rule: rule.effective_from,
        )
    )
    holidays = {
        exchange: {date.fromisoformat(day): name for day, name in _resolve_alias(raw["holidays"], exchange).items()}
        for exchange in raw["holidays"]
    }
    special = {
        exchange: {
            date.fromisoformat(day): SpecialSession(
                day=date.fromisoformat(day), name=row["name"], open=_time(row["open"]), close=_time(row["close"])
            )
            for day, row in _resolve_alias(raw["special_sessions"], exchange).items()
        }
        for exchange in raw["special_sessions"]
    }
    return CalendarRules(
        sessions=sessions,
        holidays=holidays,
        special_sessions=special,
        exchange_calendar=dict(raw["exchange_calendar"]),
        covered_years=tuple(raw["covered_years"]),
    )


@cache
def underlying_specs() -> dict[str, UnderlyingSpec]:
    raw = _read("underlyings.json")
    specs: dict[str, UnderlyingSpec] = {}
    for row in raw["underlyings"]:
        specs[row["symbol"]] = UnderlyingSpec(
            symbol=row["symbol"],
            display_name=row["display_name"],
            exchange=row["exchange"],
            spot_tradingsymbol=row["spot_tradingsymbol"],
            spot_token=int(row["spot_token"]),
            options_exchange=row["options_exchange"],
            options_segment=row["options_segment"],
            has_weeklies=bool(row["has_weeklies"]),
            display_order=int(row["display_order"]),
            strike_step=float(row["strike_step"]),
            expiry_rules=tuple(
                sorted(
                    (
                        ExpiryRule(
                            effective_from=date.fromisoformat(rule["from"]),
                            weekly=rule["weekly"],
                            monthly=int(rule["monthly"]),
                        )
                        for rule in row["expiry_rules"]
                    ),
                    key=lambda rule: rule.effective_from,
                )
            ),
            lot_sizes=tuple(
                sorted(
                    (
                        LotSizeRule(effective_from=date.fromisoformat(rule["from"]), lot_size=int(rule["lot_size"]))
                        for rule in row["lot_sizes"]
                    ),
                    key=lambda rule: rule.effective_from,
                )
            ),
            lot_size_exceptions={
                date.fromisoformat(day): int(size)
                for day, size in row.get("lot_size_exceptions", {}).items()
                if not day.startswith("_")
            },
        )
    return specs


def underlying_spec(symbol: str) -> UnderlyingSpec:
    specs = underlying_specs()
    if symbol not in specs:
        raise ValueError(f"Unknown underlying {symbol!r}; known: {', '.join(specs)}.")
    return specs[symbol]


def calendar_exchange(exchange: str) -> str:
    """The exchange whose calendar applies: NFO trades on NSE's calendar, BFO on BSE's."""
    table = calendar_rules().exchange_calendar
    if exchange not in table:
        raise ValueError(f"Unknown exchange {exchange!r}; known: {', '.join(table)}.")
    return table[exchange]


def session_rule(day: date) -> SessionRule:
    """The normal-market session times in force on ``day``."""
    current = calendar_rules().sessions[0]
    for rule in calendar_rules().sessions:
        if rule.effective_from <= day:
            current = rule
    return current


def holiday_name(day: date, exchange: str = "NSE") -> str | None:
    return calendar_rules().holidays.get(calendar_exchange(exchange), {}).get(day)


def special_session(day: date, exchange: str = "NSE") -> SpecialSession | None:
    return calendar_rules().special_sessions.get(calendar_exchange(exchange), {}).get(day)


def expiry_rule(symbol: str, day: date) -> ExpiryRule:
    """The expiry weekdays for ``symbol`` in force on ``day`` (the earliest rule for older dates)."""
    rules = underlying_spec(symbol).expiry_rules
    current = rules[0]
    for rule in rules:
        if rule.effective_from <= day:
            current = rule
    return current


def has_weeklies(symbol: str, day: date) -> bool:
    return expiry_rule(symbol, day).weekly is not None


def lot_size(symbol: str, expiry: date) -> int:
    """The lot size of a ``symbol`` contract expiring on ``expiry``."""
    spec = underlying_spec(symbol)
    if expiry in spec.lot_size_exceptions:
        return spec.lot_size_exceptions[expiry]
    rules = spec.lot_sizes
    current = rules[0]
    for rule in rules:
        if rule.effective_from <= expiry:
            current = rule
    return current.lot_size


def strike_step(symbol: str) -> float:
    """The strike step near the money that the simulated market lists for ``symbol``."""
    return underlying_spec(symbol).strike_step
