from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from privacy.clients import client_key


class ScopedThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads its rate when used, not at import, so a
    change of REST_FRAMEWORK settings (an override in a test) takes effect,
    and identifies clients as privacy.clients does: the address from
    REMOTE_ADDR or a trusted proxy only (a client cannot choose its identity
    with X-Forwarded-For), kept in the cache only as a keyed digest."""

    def get_ident(self, request: Request) -> str:
        return client_key(request._request)

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)
