"""The broker session: a Kite access token dies at the next 06:00 IST after login (a regulatory rule), so
health says when it expires and whether it covers the next session."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from apps.brokers.selectors import auth_status_get
from apps.health.components import Component, Status
from apps.market.calendar import market_status, session_close
from apps.market.clock import ist_label, to_ist

BROKER = "broker"
LOGIN_HINT = "Log in at /broker/kite/login (or run `python manage.py kite_login`)"


def broker_check(*, now: datetime) -> Component:
    broker = settings.OPTRADING_BROKER
    if broker != "kite":
        return Component(BROKER, Status.OK, f"{broker} market: no broker session needed", data={"broker": broker})
    market = market_status(now)
    if market.is_open:
        opens, closes = market.session_open, market.session_close
    else:
        opens = market.next_open
        closes = session_close(to_ist(market.next_open).date())
    assert opens is not None and closes is not None
    lead = timedelta(minutes=int(settings.OPTRADING_SESSION_ALERT_LEAD_MINUTES))
    needed_soon = market.is_open or opens - now <= lead
    auth = auth_status_get(now=now)
    data = {
        "broker": broker,
        "session": auth.status,
        "user_id": auth.user_id,
        "expires_at": to_ist(auth.expires_at).isoformat() if auth.expires_at else None,
        "expires_rule": "Kite ends every session at 06:00 IST",
        "next_open": to_ist(opens).isoformat(),
        "market": market.state,
    }
    when = "the session in progress" if market.is_open else f"the next open ({ist_label(opens)})"
    if auth.status == "active" and auth.expires_at is not None and auth.expires_at >= closes:
        return Component(
            BROKER,
            Status.OK,
            f"Kite session of {auth.user_id} valid until {ist_label(auth.expires_at)} "
            "(Kite ends sessions at 06:00 IST)",
            data=data,
        )
    status = Status.DOWN if needed_soon else Status.DEGRADED
    if auth.status == "active" and auth.expires_at is not None:
        detail = (
            f"the Kite session of {auth.user_id} expires at {ist_label(auth.expires_at)} (06:00 IST), "
            f"before the end of {when}"
        )
        suggestion = f"{LOGIN_HINT} after it expires and before {ist_label(opens)}; collection pauses until then."
    elif auth.status == "expired" and auth.expires_at is not None:
        detail = f"the Kite session of {auth.user_id} expired at {ist_label(auth.expires_at)}; {when} needs one"
        suggestion = f"{LOGIN_HINT} before {ist_label(opens)}; nothing is collected until you do."
    else:
        detail = f"no Kite session; {when} needs one"
        suggestion = f"{LOGIN_HINT} before {ist_label(opens)}; nothing is collected until you do."
    return Component(BROKER, status, detail, suggestion, data)
