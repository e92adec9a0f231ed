from __future__ import annotations

from tests.api.conftest import anon, api, archived_chain, client_for, staff, user  # noqa: F401  shared fixtures
from tests.brokers.kite.conftest import kite_double, kite_session, kite_settings  # noqa: F401  the Kite double
