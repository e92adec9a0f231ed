"""Strategy templates, their legs relative to ATM: strike steps from the ATM strike, and the near or next expiry.
Pure data: the API resolves them against a chain, the pages fill the builder with them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class PresetLeg:
    option_type: Literal["CE", "PE"]
    side: Literal["buy", "sell"]
    strike_offset: int
    """Strike steps from the ATM strike: +2 is two strikes above it."""
    lots: int = 1
    expiry: Literal["near", "next"] = "near"


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    view: str
    legs: tuple[PresetLeg, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "view": self.view, "legs": [asdict(leg) for leg in self.legs]}


def _leg(option_type: Literal["CE", "PE"], side: Literal["buy", "sell"], offset: int, **rest: Any) -> PresetLeg:
    return PresetLeg(option_type=option_type, side=side, strike_offset=offset, **rest)


PRESETS: tuple[Preset, ...] = (
    Preset("long_straddle", "Long straddle", "a big move either way", (_leg("CE", "buy", 0), _leg("PE", "buy", 0))),
    Preset("short_straddle", "Short straddle", "spot stays put", (_leg("CE", "sell", 0), _leg("PE", "sell", 0))),
    Preset("long_strangle", "Long strangle", "a bigger move either way", (_leg("CE", "buy", 2), _leg("PE", "buy", -2))),
    Preset(
        "short_strangle", "Short strangle", "spot stays in a range", (_leg("CE", "sell", 2), _leg("PE", "sell", -2))
    ),
    Preset("bull_call_spread", "Bull call spread", "moderately up", (_leg("CE", "buy", 0), _leg("CE", "sell", 2))),
    Preset("bear_call_spread", "Bear call spread", "not up", (_leg("CE", "sell", 0), _leg("CE", "buy", 2))),
    Preset("bull_put_spread", "Bull put spread", "not down", (_leg("PE", "sell", 0), _leg("PE", "buy", -2))),
    Preset("bear_put_spread", "Bear put spread", "moderately down", (_leg("PE", "buy", 0), _leg("PE", "sell", -2))),
    Preset(
        "iron_condor",
        "Iron condor",
        "spot stays between the short strikes",
        (_leg("PE", "buy", -4), _leg("PE", "sell", -2), _leg("CE", "sell", 2), _leg("CE", "buy", 4)),
    ),
    Preset(
        "iron_butterfly",
        "Iron butterfly",
        "spot pinned at ATM",
        (_leg("PE", "buy", -2), _leg("PE", "sell", 0), _leg("CE", "sell", 0), _leg("CE", "buy", 2)),
    ),
    Preset(
        "butterfly",
        "Long call butterfly",
        "spot near ATM at expiry",
        (_leg("CE", "buy", -2), _leg("CE", "sell", 0, lots=2), _leg("CE", "buy", 2)),
    ),
    Preset(
        "calendar",
        "Long call calendar",
        "spot near ATM as the near expiry decays faster",
        (_leg("CE", "sell", 0), _leg("CE", "buy", 0, expiry="next")),
    ),
)
